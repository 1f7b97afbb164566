/* The native analysis kernels' entry points, registered by addon.c. */
#ifndef PLANTWATCH_ADDON_H
#define PLANTWATCH_ADDON_H
#define NAPI_VERSION 8
#include <node_api.h>

napi_value window_spectra_create_engine(napi_env env, napi_callback_info info);
napi_value window_spectra_add_window(napi_env env, napi_callback_info info);
napi_value window_spectra_measuring_plans(napi_env env, napi_callback_info info);
napi_value spectral_median_of_runs(napi_env env, napi_callback_info info);
napi_value free_memory_release(napi_env env, napi_callback_info info);
napi_value free_memory_hold(napi_env env, napi_callback_info info);

#endif
