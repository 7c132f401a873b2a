// Fixture (tests/graph): the server including the CLI.
#include "core/cli/commands.h"
#include "core/sync/sync.h"
