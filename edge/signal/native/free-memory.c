/*
 * holdFreedMemory() and releaseFreeMemory(): when the C heap gives its free pages back to the
 * system, the agent decides. Not analysis kernels,
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

/*
 * glibc gives memory back as it goes: whenever the free space at the top of an arena passes the trim
 * threshold (128 KB, or twice the last mmapped block's size), and it maps blocks over the mmap
 * threshold on their own. A flood of 64 KB socket reads and sample buffers then kept shrinking and
 * growing the arenas: measured on the agent's event loop, page faults were its largest kernel cost,
 * 0.05–0.10 ms per waveform of kernel time against 0.02 once freed memory is kept for the next
 * waveform. With both thresholds fixed, freed memory stays in the arenas for reuse (blocks up to
 * 1 MB, a 262,144-sample waveform, come from them too) until releaseFreeMemory() gives it back once
 * a burst is over. Returns false where the C library is not glibc.
 */
napi_value free_memory_hold(napi_env env, napi_callback_info info) {
  (void)info;
  bool held = false;
#ifdef __GLIBC__
  held = mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024) == 1 && mallopt(M_MMAP_THRESHOLD, 1024 * 1024) == 1;
#endif
  napi_value result;
  napi_get_boolean(env, held, &result);
  return result;
}
