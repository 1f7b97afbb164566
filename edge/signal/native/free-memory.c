/*
 * releaseFreeMemory(): gives the C heap's free pages back to the system. Not an analysis kernel,
 * but the agent's only native code: after a burst of waveforms, the freed 64 KB sample and packet
 * buffers stay in glibc's arenas as resident memory (measured: 35 MB of an agent's 200 MB after a
 * flood) until malloc_trim returns them. Returns false where the C library has no malloc_trim.
 */
#include "addon.h"
#include <stdbool.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

napi_value free_memory_release(napi_env env, napi_callback_info info) {
  (void)info;
  bool released = false;
#ifdef __GLIBC__
  released = malloc_trim(0) == 1;
#endif
  napi_value result;
  napi_get_boolean(env, released, &result);
  return result;
}
