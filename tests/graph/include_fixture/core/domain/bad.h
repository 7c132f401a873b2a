// Fixture (tests/graph): domain rules reaching the sync engine.
#include "core/sync/sync.h"
