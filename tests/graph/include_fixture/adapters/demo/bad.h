// Fixture (tests/graph): an adapter may include the SDK only.
#include <sendsync/sdk/status.h>
#include "base/log/log.h"
