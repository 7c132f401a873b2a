// Fixture (tests/graph): base reaching into the runtime.
#include "plugins/plugins.h"
