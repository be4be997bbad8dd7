#ifndef MESHTOP_CCURL_SHIM_H
#define MESHTOP_CCURL_SHIM_H

#include <curl/curl.h>
// Swift's Glibc module leaves out timerfd, which CurlMulti wakes curl_multi_poll with.
#include <sys/timerfd.h>

// Swift cannot call C variadic functions, and curl_easy_setopt / curl_easy_getinfo /
// curl_multi_setopt are variadic. Each wrapper below fixes the argument type so the
// compiler checks what Swift passes; the names carry an `mt_` prefix so they never
// collide with libcurl's own symbols.

typedef size_t (*mt_curl_data_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);

static inline CURLcode mt_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode mt_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode mt_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode mt_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

// Write and header callbacks share one signature; a function pointer is not a void*
// in C, so it gets a wrapper of its own.
static inline CURLcode mt_curl_easy_setopt_data_callback(CURL *handle, CURLoption option, mt_curl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode mt_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode mt_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode mt_curl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode mt_curl_easy_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLMcode mt_curl_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}

// curl_version_info takes an enum whose current value is a macro Swift does not import.
static inline const char *mt_curl_version_string(void) {
    return curl_version_info(CURLVERSION_NOW)->version;
}

// CURL_GLOBAL_ALL is a macro expression Swift does not import; libcurl must be
// initialised once before any thread creates a handle.
static inline CURLcode mt_curl_global_init_all(void) {
    return curl_global_init(CURL_GLOBAL_ALL);
}

#endif
