// Fixture (tests/graph): the store reaching the audit log above it.
#  include "core/audit/audit.h"
