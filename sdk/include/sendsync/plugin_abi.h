/*
 * sendsync adapter plugin ABI — the only thing that crosses the boundary between the sendsync host
 * and an adapter shared library. Pure C, so an adapter built by another vendor, with another compiler
 * or in another language, either works or is refused cleanly.
 *
 * Contract in brief (docs/adapter-sdk.md has the whole story):
 *  - The library exports one entry, found by Boost.DLL under the alias SENDSYNC_ENTRY_ALIAS. The
 *    alias is an exported data symbol holding the address of a function of type sendsync_entry_fn.
 *  - The entry returns a table (sendsync_plugin) that starts with abi_major, abi_minor and
 *    struct_size. The host reads those three fields first and refuses the plugin when the major
 *    differs, the minor is newer than the host's, or struct_size is not sane — before it touches any
 *    other field.
 *  - Everything else is JSON text (UTF-8) plus a status. Buffers returned by the plugin are freed by
 *    the plugin's own free_buffer, so no allocator is shared across the boundary.
 *  - No C++ exception may escape any function in the table.
 */
#ifndef SENDSYNC_PLUGIN_ABI_H
#define SENDSYNC_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version of this header. Major changes break compatibility; minor changes only append fields
 * to the end of sendsync_plugin or sendsync_host_api. */
#define SENDSYNC_ABI_MAJOR 1u
#define SENDSYNC_ABI_MINOR 0u

/* The alias under which the entry is exported (see SENDSYNC_EXPORT_ENTRY_C below). */
#define SENDSYNC_ENTRY_ALIAS "sendsync_adapter_entry"

/* Outcome of every call. The host, not the adapter, owns backoff, retry limits and dead-lettering. */
typedef enum sendsync_status {
  SENDSYNC_OK = 0,    /* done; the response is the method's result */
  SENDSYNC_RETRY = 1, /* transient: timeout, HTTP 429 or 5xx, lock held elsewhere */
  SENDSYNC_FATAL = 2  /* permanent: bad config, rejected request, bug */
} sendsync_status;

/* Log levels for sendsync_host_api.log. */
typedef enum sendsync_log_level {
  SENDSYNC_LOG_DEBUG = 0,
  SENDSYNC_LOG_INFO = 1,
  SENDSYNC_LOG_WARN = 2,
  SENDSYNC_LOG_ERROR = 3
} sendsync_log_level;

/* Callbacks the host gives an instance when it opens it. Valid until close() returns.
 * Adapters must not log personal data above SENDSYNC_LOG_DEBUG, and never secrets. */
typedef struct sendsync_host_api {
  uint32_t struct_size; /* sizeof(sendsync_host_api) as the host compiled it */
  void* host_ctx;       /* pass back unchanged */
  void (*log)(void* host_ctx, int level, const char* message, size_t message_len);
  /* Non-zero once the host wants the current call to stop early (for example on shutdown). An
   * adapter doing long work should poll it and return SENDSYNC_RETRY when it is set. A worker
   * that overruns the host's per-call timeout is killed, not asked. */
  int (*is_cancelled)(void* host_ctx);
} sendsync_host_api;

/* The table the entry returns. Static storage duration in the plugin. */
typedef struct sendsync_plugin {
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t struct_size; /* sizeof(sendsync_plugin) as the plugin compiled it */

  /* Manifest: NUL-terminated JSON object (id, name, version, vendor, abi, reads, writes,
   * config_schema); see docs/adapter-sdk.md. */
  const char* manifest_json;

  /* Opens an instance with its configuration (JSON object text; secrets already resolved by the
   * host). On SENDSYNC_OK *instance is set. Otherwise *error receives a plugin-owned JSON object
   * {"message": "..."} (free it with free_buffer) and *instance is left NULL. */
  sendsync_status (*open)(const char* config_json, size_t config_len, const sendsync_host_api* host,
                          void** instance, char** error, size_t* error_len);

  /* Calls a method ("describe", "check", "discover", "read", "write") with a JSON request.
   * *response always receives a plugin-owned JSON buffer: the result on SENDSYNC_OK, an object
   * {"message": "..."} otherwise. Free it with free_buffer. Calls on one instance are serialised by
   * the host; different instances may be called from different threads. */
  sendsync_status (*call)(void* instance, const char* method, const char* request_json,
                          size_t request_len, char** response, size_t* response_len);

  /* Closes an instance; the host never uses it afterwards. */
  void (*close)(void* instance);

  /* Frees a buffer this plugin returned. NULL is allowed. */
  void (*free_buffer)(char* buffer);
} sendsync_plugin;

/* Type of the exported entry. */
typedef const sendsync_plugin* (*sendsync_entry_fn)(void);

/* For adapters written in C with GCC or Clang: exports FN (a sendsync_entry_fn) under the alias
 * the host looks for, in the same form Boost.DLL's BOOST_DLL_ALIAS produces. C++ adapters use
 * SENDSYNC_EXPORT_ADAPTER from <sendsync/sdk/adapter.h> instead. */
#ifndef __cplusplus
#define SENDSYNC_EXPORT_ENTRY_C(FN)                                                  \
  __attribute__((visibility("default"), section("boostdll"), used)) const void*     \
      sendsync_adapter_entry = (const void*)&(FN)
#endif

#ifdef __cplusplus
}
#endif

#endif /* SENDSYNC_PLUGIN_ABI_H */
