// The sendsync release this SDK belongs to.
#pragma once

#define SENDSYNC_VERSION "0.1.0"
