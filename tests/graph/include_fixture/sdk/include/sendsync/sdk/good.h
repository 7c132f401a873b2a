// Fixture (tests/graph): the SDK includes only itself.
#include <sendsync/sdk/status.h>
