// Fixture (tests/graph): the runtime reaching into the core, which the include check forbids.
#include <string>
#include "base/log/log.h"
#include "core/store/store.h"
