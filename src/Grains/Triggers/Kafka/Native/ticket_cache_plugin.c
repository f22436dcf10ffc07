/*
 * A librdkafka plugin that gives each Kafka client its own Kerberos ticket cache.
 *
 * librdkafka authenticates with SASL/GSSAPI through Cyrus SASL and MIT krb5, which read tickets from the
 * process-wide default cache (KRB5CCNAME). Every trigger of a silo would share one cache, and the last kinit
 * would decide the principal of every connection. MIT krb5 lets a thread choose its own cache with
 * gss_krb5_ccache_name(), and librdkafka calls an on_thread_start interceptor on each thread it starts, so this
 * plugin points all threads of a client at the cache named by its configuration property
 * "orleans_triggers.krb5.ccname". The client's kinit command writes that same cache (see KerberosFiles.cs).
 *
 * Loaded with plugin.library.paths. The plugin does not link librdkafka: .NET loads librdkafka privately
 * (RTLD_LOCAL), so its symbols are not global. conf_init() is called by librdkafka itself, so the caller's
 * address names the librdkafka file that is loaded, and the functions are taken from that very object.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gssapi/gssapi_krb5.h>
#include <librdkafka/rdkafka.h>

#define PROPERTY "orleans_triggers.krb5.ccname"
#define NAME "orleans-triggers-ticket-cache"

static struct {
    __typeof__(&rd_kafka_conf_interceptor_add_on_conf_set) add_on_conf_set;
    __typeof__(&rd_kafka_conf_interceptor_add_on_conf_dup) add_on_conf_dup;
    __typeof__(&rd_kafka_conf_interceptor_add_on_conf_destroy) add_on_conf_destroy;
    __typeof__(&rd_kafka_conf_interceptor_add_on_new) add_on_new;
    __typeof__(&rd_kafka_interceptor_add_on_thread_start) add_on_thread_start;
} rdk;
static pthread_mutex_t rdk_lock = PTHREAD_MUTEX_INITIALIZER;
static int rdk_resolved;

/* One per configuration object; freed with it (after the client's threads have ended). */
struct cache_setting {
    char *ccname;
};

static int resolve(const void *address_in_librdkafka, char *errstr, size_t errstr_size) {
    pthread_mutex_lock(&rdk_lock);
    if (!rdk_resolved) {
        Dl_info info;
        void *library;
        if (!dladdr(address_in_librdkafka, &info) || !info.dli_fname ||
            !(library = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD))) {
            snprintf(errstr, errstr_size, NAME ": cannot find the loaded librdkafka");
            pthread_mutex_unlock(&rdk_lock);
            return 0;
        }
        rdk.add_on_conf_set = dlsym(library, "rd_kafka_conf_interceptor_add_on_conf_set");
        rdk.add_on_conf_dup = dlsym(library, "rd_kafka_conf_interceptor_add_on_conf_dup");
        rdk.add_on_conf_destroy = dlsym(library, "rd_kafka_conf_interceptor_add_on_conf_destroy");
        rdk.add_on_new = dlsym(library, "rd_kafka_conf_interceptor_add_on_new");
        rdk.add_on_thread_start = dlsym(library, "rd_kafka_interceptor_add_on_thread_start");
        /* The handle stays open: librdkafka outlives every client, and so must the pointers. */
        rdk_resolved = rdk.add_on_conf_set && rdk.add_on_conf_dup && rdk.add_on_conf_destroy &&
                       rdk.add_on_new && rdk.add_on_thread_start;
        if (!rdk_resolved)
            snprintf(errstr, errstr_size, NAME ": %s lacks the interceptor API", info.dli_fname);
    }
    pthread_mutex_unlock(&rdk_lock);
    return rdk_resolved;
}

static rd_kafka_resp_err_t on_thread_start(rd_kafka_t *rk, rd_kafka_thread_type_t type, const char *name,
                                           void *opaque) {
    struct cache_setting *setting = opaque;
    OM_uint32 minor;
    (void)rk; (void)type; (void)name;
    /* Thread-specific in MIT krb5: every GSSAPI context this thread opens uses the client's cache. */
    if (setting->ccname && gss_krb5_ccache_name(&minor, setting->ccname, NULL) != GSS_S_COMPLETE)
        return RD_KAFKA_RESP_ERR__FAIL;
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static rd_kafka_resp_err_t on_new(rd_kafka_t *rk, const rd_kafka_conf_t *conf, void *opaque, char *errstr,
                                  size_t errstr_size) {
    struct cache_setting *setting = opaque;
    (void)conf; (void)errstr; (void)errstr_size;
    if (!setting->ccname) return RD_KAFKA_RESP_ERR_NO_ERROR;
    return rdk.add_on_thread_start(rk, NAME, on_thread_start, setting);
}

static rd_kafka_conf_res_t on_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
                                       char *errstr, size_t errstr_size, void *opaque) {
    struct cache_setting *setting = opaque;
    (void)conf;
    if (strcmp(name, PROPERTY)) return RD_KAFKA_CONF_UNKNOWN;
    if (value && strncmp(value, "FILE:", 5)) {
        snprintf(errstr, errstr_size, PROPERTY " must name a FILE: ticket cache");
        return RD_KAFKA_CONF_INVALID;
    }
    free(setting->ccname);
    setting->ccname = value ? strdup(value) : NULL;
    return RD_KAFKA_CONF_OK;
}

static rd_kafka_resp_err_t on_conf_destroy(void *opaque) {
    struct cache_setting *setting = opaque;
    free(setting->ccname);
    free(setting);
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static rd_kafka_resp_err_t add_interceptors(rd_kafka_conf_t *conf, const char *ccname);

/* librdkafka copies no interceptors to a duplicated configuration: register again with a copy of the setting. */
static rd_kafka_resp_err_t on_conf_dup(rd_kafka_conf_t *new_conf, const rd_kafka_conf_t *old_conf,
                                       size_t filter_cnt, const char **filter, void *opaque) {
    struct cache_setting *setting = opaque;
    (void)old_conf;
    for (size_t i = 0; i < filter_cnt; i++)
        if (!strcmp(filter[i], PROPERTY)) return add_interceptors(new_conf, NULL);
    return add_interceptors(new_conf, setting->ccname);
}

static rd_kafka_resp_err_t add_interceptors(rd_kafka_conf_t *conf, const char *ccname) {
    struct cache_setting *setting = calloc(1, sizeof *setting);
    rd_kafka_resp_err_t err;
    if (!setting || (ccname && !(setting->ccname = strdup(ccname)))) {
        free(setting);
        return RD_KAFKA_RESP_ERR__FAIL;
    }
    if ((err = rdk.add_on_conf_destroy(conf, NAME, on_conf_destroy, setting))) {
        on_conf_destroy(setting);
        return err;
    }
    if ((err = rdk.add_on_conf_set(conf, NAME, on_conf_set, setting)) ||
        (err = rdk.add_on_conf_dup(conf, NAME, on_conf_dup, setting)) ||
        (err = rdk.add_on_new(conf, NAME, on_new, setting)))
        return err;
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

__attribute__((visibility("default")))
rd_kafka_resp_err_t conf_init(rd_kafka_conf_t *conf, void **plug_opaquep, char *errstr, size_t errstr_size) {
    (void)plug_opaquep;
    if (!resolve(__builtin_return_address(0), errstr, errstr_size)) return RD_KAFKA_RESP_ERR__FAIL;
    rd_kafka_resp_err_t err = add_interceptors(conf, NULL);
    if (err) snprintf(errstr, errstr_size, NAME ": cannot add interceptors (error %d)", err);
    return err;
}
