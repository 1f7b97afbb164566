/* The native analysis kernels as one node addon: window-spectra.c and spectral-median.c (and free-memory.c). */
#include "addon.h"

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"createEngine", NULL, window_spectra_create_engine, NULL, NULL, NULL, napi_enumerable, NULL},
      {"addWindow", NULL, window_spectra_add_window, NULL, NULL, NULL, napi_enumerable, NULL},
      {"measuringPlans", NULL, window_spectra_measuring_plans, NULL, NULL, NULL, napi_enumerable, NULL},
      {"medianOfRuns", NULL, spectral_median_of_runs, NULL, NULL, NULL, napi_enumerable, NULL},
      {"releaseFreeMemory", NULL, free_memory_release, NULL, NULL, NULL, napi_enumerable, NULL},
      {"holdFreedMemory", NULL, free_memory_hold, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok)
    return NULL;
  return exports;
}
