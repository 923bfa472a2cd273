/*
 * mooncake_store_double.c — a TEST DOUBLE of Mooncake Store's C ABI (store_c.h).
 *
 * Not Mooncake. An in-memory, thread-safe stand-in that exports the same 19
 * mooncake_store_* symbols with the same signatures and the same conventions
 * (docs/behaviour.md#mooncake-store), so that the Java binding's marshalling, error mapping,
 * batching, registration rules and concurrency can be tested without a cluster.
 *
 * What it reproduces (the docs/behaviour.md section in brackets):
 *  - NULL handle / NULL required pointer -> -1; batch calls with NULL arrays -> -1
 *    even for count 0; NULL keys[i], or NULL buffers[i] with sizes[i] > 0 -> -1
 *    [c-abi-conventions];
 *  - "not initialised" -> INVALID_PARAMS (-600) before setup; health 0/1/2 [store-functions];
 *  - setup: NULL strings replaced by "", "", "tcp", "", "127.0.0.1:50051"; an empty
 *    local hostname -> -600; an unknown metadata scheme (including "") ABORTS the
 *    process, as the real library's fatal log does; cxl without MC_CXL_DEV_SIZE
 *    aborts [setup-parameters, threads-and-signals];
 *  - put-if-absent (an existing key returns 0 and keeps its value); empty key,
 *    zero-length copying put, a copying put larger than the local buffer, a too
 *    small get buffer -> -600; missing key -> -704; no space -> -200 [store-functions,
 *    observed-store-behaviour];
 *  - zero-copy calls require registered memory (a register_buffer region or the
 *    setup-time local buffer; sub-ranges accepted). The double enforces this the way
 *    the rdma transport does (TRANSFER_FAIL, -800), stricter than tcp [registered-memory];
 *  - reads, existence checks and get_size grant a read lease; a non-forced remove of
 *    a leased key -> -706; remove_all / remove_by_regex skip leased keys unless
 *    forced [leases]. Lease TTL: env MOONCAKE_DOUBLE_LEASE_TTL_MS at create (default
 *    10000, the master's default);
 *  - capacity is the sum of the global segments that live clients of one master
 *    address mounted; objects live in one client's segment and vanish when that
 *    client is destroyed [segment-loss]. Clients with the same master address share
 *    one in-process "cluster";
 *  - on create, when the process has no Py_IsInitialized symbol, the calling
 *    thread's SIGINT, SIGTERM, SIGHUP and SIGUSR1 are blocked, as Mooncake's
 *    ResourceTracker does [threads-and-signals]. Stricter than the real library: it does so on
 *    every create (the real one only on the first), so that a test can observe it;
 *    it starts no signal-waiting thread.
 *
 *  - object bytes live inside the owning client's global segment, placed by an
 *    allocator that reuses freed ranges at once; a read looks its objects up (and
 *    grants the leases) under the lock, then copies out of segment memory WITHOUT
 *    it, as the real client's transfer does. So a forced remove (which ignores the
 *    lease) followed by a put can hand a reader torn or foreign bytes that still
 *    count as read, as was observed against a real store (this module's README,
 *    "What a real store does that a naive double would not");
 *  - a key given twice in one batch_get_into: only the LAST of its buffers is
 *    filled, and every occurrence reports the object's size (observed);
 *  - a read whose transfer outlasts its lease fails with LEASE_EXPIRED (-707) for
 *    every key of the batch, although the bytes were copied (observed);
 *  - a master that is down: every call that needs it blocks for a while and then
 *    fails (RPC_FAIL, -900, per key in batches); health_check says 2 (master
 *    unreachable). When it comes back, clients reconnect by themselves and every
 *    object stored before is gone (observed: the master keeps metadata in memory).
 *
 * Failure injection (for tests): a master address starting with "unreachable"
 * makes setup return -1 (INTERNAL_ERROR, as after the real setup's retries); one
 * starting with "slow" makes setup sleep 1 s first (a master that answers late).
 * Test controls, exported as mooncake_double_* (not part of store_c.h):
 *  - mooncake_double_set_read_delay_us(us): each read's transfer takes this long
 *    (half the bytes are copied before the pause, half after);
 *  - mooncake_double_set_read_bandwidth(bytes_per_second): plus bytes / bandwidth;
 *  - mooncake_double_set_lease_ttl_ms(ms): the lease TTL from now on;
 *  - mooncake_double_set_master_down(master, down, block_ms): stop or restart the
 *    in-process master of that address.
 *
 * Deliberately absent: transfer engine, replicas, eviction, checksums, slices.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXPORT __attribute__((visibility("default")))

enum {
  OK = 0,
  INTERNAL_ERROR = -1,
  NO_AVAILABLE_HANDLE = -200,
  INVALID_PARAMS = -600,
  OBJECT_NOT_FOUND = -704,
  OBJECT_HAS_LEASE = -706,
  LEASE_EXPIRED = -707,
  TRANSFER_FAIL = -800,
  RPC_FAIL = -900,
};

typedef struct mooncake_replicate_config {
  size_t replica_num;
  int with_soft_pin;
  int with_hard_pin;
  const char **preferred_segments;
  size_t preferred_segments_count;
} mooncake_replicate_config_t;

typedef void *mooncake_store_t;

struct client;

typedef struct object {
  char *key;
  size_t offset; /* inside owner's segment */
  size_t size;
  int64_t lease_until_ms;
  struct client *owner; /* whose segment holds the bytes */
  struct object *next;
} object_t;

typedef struct region {
  uintptr_t base;
  size_t size;
  struct region *next;
} region_t;

typedef struct cluster {
  char *master;
  object_t *objects;
  int down;         /* the master is stopped */
  int64_t block_ms; /* how long a call blocks while it is */
  struct cluster *next;
} cluster_t;

/* A freed range of a segment, reused first-fit (most recently freed first). */
typedef struct hole {
  size_t offset;
  size_t size;
  struct hole *next;
} hole_t;

typedef struct client {
  int initialized;
  char hostname[512];
  cluster_t *cluster;
  uint64_t segment_size;
  uint64_t segment_used;
  unsigned char *segment; /* the mounted memory, allocated at setup */
  uint64_t segment_top;   /* bump pointer */
  hole_t *holes;
  void *local_buffer;
  uint64_t local_buffer_size;
  region_t *regions;
  struct client *next_live;
  int64_t in_call; /* single get_into / put_from / remove calls inside this client now */
} client_t;

/* Destroys that found a call still inside the client (the binding must never let this happen). */
static int64_t destroys_during_calls;

/* One lock for everything: the double favours obvious correctness over speed. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static cluster_t *clusters;
static client_t *live_clients;
static int next_port = 12300;
/* Test controls (see the header); read and written atomically. */
static int64_t lease_ttl_ms = -1; /* -1: not yet read from the environment */
static int64_t read_delay_us;
static int64_t read_bandwidth; /* bytes per second; 0 = instant */

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static cluster_t *cluster_for(const char *master) {
  for (cluster_t *c = clusters; c; c = c->next)
    if (strcmp(c->master, master) == 0) return c;
  cluster_t *c = calloc(1, sizeof *c);
  c->master = strdup(master);
  c->next = clusters;
  clusters = c;
  return c;
}

static object_t *find(cluster_t *c, const char *key) {
  for (object_t *o = c->objects; o; o = o->next)
    if (strcmp(o->key, key) == 0) return o;
  return NULL;
}

static int64_t load64(int64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }

static void store64(int64_t *p, int64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }

static void sleep_us(int64_t us) {
  if (us <= 0) return;
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

/* Takes size bytes of seg's segment; returns 0 and the offset, or -1 when full. */
static int segment_alloc(client_t *seg, size_t size, size_t *offset) {
  for (hole_t **hp = &seg->holes; *hp; hp = &(*hp)->next) {
    hole_t *h = *hp;
    if (h->size < size) continue;
    *offset = h->offset;
    h->offset += size;
    h->size -= size;
    if (h->size == 0) {
      *hp = h->next;
      free(h);
    }
    return 0;
  }
  if (seg->segment_size - seg->segment_top < size) return -1;
  *offset = seg->segment_top;
  seg->segment_top += size;
  return 0;
}

static void segment_free(client_t *seg, size_t offset, size_t size) {
  hole_t *h = malloc(sizeof *h);
  if (!h) return; /* the range is lost to this test run; nothing breaks */
  h->offset = offset;
  h->size = size;
  h->next = seg->holes;
  seg->holes = h;
}

static void segment_reset(client_t *seg) {
  for (hole_t *h = seg->holes; h;) {
    hole_t *n = h->next;
    free(h);
    h = n;
  }
  seg->holes = NULL;
  seg->segment_top = 0;
  seg->segment_used = 0;
}

/* Frees the object; its range goes back to the owner's segment for reuse. */
static void free_object(object_t *o) {
  if (o->owner) {
    o->owner->segment_used -= o->size;
    segment_free(o->owner, o->offset, o->size);
  }
  free(o->key);
  free(o);
}

/* Whether this client's master is down; if so, blocks as the real client does (lock not held). */
static int master_down_blocks(client_t *cl) {
  pthread_mutex_lock(&lock);
  int down = cl->cluster && cl->cluster->down;
  int64_t block = down ? cl->cluster->block_ms : 0;
  pthread_mutex_unlock(&lock);
  if (down) sleep_us(block * 1000);
  return down;
}

/* Unlinks and frees objects matching pred; returns how many. */
static int64_t remove_where(client_t *cl, int (*pred)(object_t *, void *), void *arg, int force) {
  int64_t n = 0;
  int64_t now = now_ms();
  object_t **pp = &cl->cluster->objects;
  while (*pp) {
    object_t *o = *pp;
    if (pred(o, arg) && (force || o->lease_until_ms <= now)) {
      *pp = o->next;
      free_object(o);
      n++;
    } else {
      pp = &o->next;
    }
  }
  return n;
}

static int in_registered(client_t *cl, const void *p, size_t size) {
  uintptr_t a = (uintptr_t)p;
  if (cl->local_buffer && a >= (uintptr_t)cl->local_buffer &&
      a + size <= (uintptr_t)cl->local_buffer + cl->local_buffer_size)
    return 1;
  for (region_t *r = cl->regions; r; r = r->next)
    if (a >= r->base && a + size <= r->base + r->size) return 1;
  return 0;
}

/* Grants (or extends) a read lease; returns when this grant ends. */
static int64_t grant_lease(object_t *o) {
  int64_t until = now_ms() + load64(&lease_ttl_ms);
  if (until > o->lease_until_ms) o->lease_until_ms = until;
  return until;
}

/* Picks a live client of this cluster whose segment has room for size bytes. */
static client_t *segment_with_room(cluster_t *c, size_t size) {
  for (client_t *x = live_clients; x; x = x->next_live)
    if (x->initialized && x->cluster == c && x->segment && x->segment_size - x->segment_used >= size) return x;
  return NULL;
}

/* Stores a copy of src under key; the caller holds the lock and has checked the key. */
static int store_locked(client_t *cl, const char *key, const void *src, size_t size) {
  if (find(cl->cluster, key)) return OK; /* put-if-absent: OBJECT_ALREADY_EXISTS is swallowed */
  client_t *seg = segment_with_room(cl->cluster, size);
  size_t offset;
  if (!seg || segment_alloc(seg, size, &offset) != 0) return NO_AVAILABLE_HANDLE;
  object_t *o = calloc(1, sizeof *o);
  if (!o) {
    segment_free(seg, offset, size);
    return NO_AVAILABLE_HANDLE;
  }
  memcpy(seg->segment + offset, src, size);
  o->offset = offset;
  o->key = strdup(key);
  o->size = size;
  o->owner = seg;
  o->lease_until_ms = now_ms(); /* a completed put grants no read lease */
  seg->segment_used += size;
  o->next = cl->cluster->objects;
  cl->cluster->objects = o;
  return OK;
}

static void block_signals_like_resource_tracker(void) {
  if (dlsym(RTLD_DEFAULT, "Py_IsInitialized") != NULL) return;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* ---- lifecycle ------------------------------------------------------------------ */

EXPORT mooncake_store_t mooncake_store_create(void) {
  client_t *cl = calloc(1, sizeof *cl);
  if (!cl) return NULL;
  if (load64(&lease_ttl_ms) < 0) {
    const char *ttl = getenv("MOONCAKE_DOUBLE_LEASE_TTL_MS");
    int64_t expected = -1;
    __atomic_compare_exchange_n(&lease_ttl_ms, &expected, ttl ? atoll(ttl) : 10000, 0, __ATOMIC_RELAXED,
                                __ATOMIC_RELAXED);
  }
  block_signals_like_resource_tracker();
  return cl;
}

EXPORT void mooncake_store_destroy(mooncake_store_t store) {
  client_t *cl = store;
  if (!cl) return;
  /* Counted, and the client is leaked rather than freed, so that a test can report the race
     instead of the JVM crashing in the call still inside it. */
  int under_call = __atomic_load_n(&cl->in_call, __ATOMIC_SEQ_CST) > 0;
  if (under_call) __atomic_add_fetch(&destroys_during_calls, 1, __ATOMIC_SEQ_CST);
  pthread_mutex_lock(&lock);
  for (client_t **pp = &live_clients; *pp; pp = &(*pp)->next_live) {
    if (*pp == cl) {
      *pp = cl->next_live;
      break;
    }
  }
  if (cl->cluster) {
    /* Unmounting loses every object whose bytes lived in this client's segment (docs/behaviour.md#segment-loss). */
    object_t **pp = &cl->cluster->objects;
    while (*pp) {
      object_t *o = *pp;
      if (o->owner == cl) {
        *pp = o->next;
        o->owner = NULL; /* the whole segment goes below */
        free_object(o);
      } else {
        pp = &o->next;
      }
    }
  }
  if (under_call) {
    pthread_mutex_unlock(&lock);
    return;
  }
  segment_reset(cl);
  pthread_mutex_unlock(&lock);
  free(cl->segment);
  for (region_t *r = cl->regions; r;) {
    region_t *n = r->next;
    free(r);
    r = n;
  }
  free(cl->local_buffer);
  free(cl);
}

static int metadata_ok(const char *m) {
  return strcmp(m, "P2PHANDSHAKE") == 0 || strncmp(m, "http://", 7) == 0 ||
         strncmp(m, "https://", 8) == 0;
}

static int protocol_known(const char *p) {
  static const char *known[] = {"tcp", "rdma", "efa", "cxl", "ascend", "ub", "ubshmem",
                                "sunrise_link", "cxi", "nvlink_intra", "rpc_only", NULL};
  for (int i = 0; known[i]; i++)
    if (strcmp(p, known[i]) == 0) return 1;
  return 0;
}

EXPORT int mooncake_store_setup(mooncake_store_t store, const char *local_hostname,
                                const char *metadata_server, uint64_t global_segment_size,
                                uint64_t local_buffer_size, const char *protocol,
                                const char *device_name, const char *master_server_addr) {
  client_t *cl = store;
  if (!cl) return INTERNAL_ERROR;
  if (!local_hostname) local_hostname = "";
  if (!metadata_server) metadata_server = "";
  if (!protocol) protocol = "tcp";
  if (!device_name) device_name = "";
  if (!master_server_addr) master_server_addr = "127.0.0.1:50051";
  (void)device_name;
  if (cl->initialized) return INVALID_PARAMS;
  if (!metadata_ok(metadata_server)) {
    /* The real library logs FATAL here ("unsupported metadata protocol") and aborts. */
    fprintf(stderr, "mooncake_store_double: FATAL unsupported metadata server '%s'\n", metadata_server);
    abort();
  }
  if (strcmp(protocol, "cxl") == 0 && !getenv("MC_CXL_DEV_SIZE")) {
    fprintf(stderr, "mooncake_store_double: FATAL cxl without MC_CXL_DEV_SIZE\n");
    abort();
  }
  if (local_hostname[0] == '\0' || !protocol_known(protocol)) return INVALID_PARAMS;
  if (strncmp(master_server_addr, "slow", 4) == 0) {
    struct timespec one_second = {1, 0};
    nanosleep(&one_second, NULL);
  }
  if (strncmp(master_server_addr, "unreachable", 11) == 0) return INTERNAL_ERROR;
  if (local_buffer_size > 0) {
    cl->local_buffer = malloc(local_buffer_size);
    if (!cl->local_buffer) return INTERNAL_ERROR;
  }
  if (global_segment_size > 0) {
    /* Untouched pages cost nothing: a large segment is only address space until used. */
    cl->segment = malloc(global_segment_size);
    if (!cl->segment) {
      free(cl->local_buffer);
      cl->local_buffer = NULL;
      return INTERNAL_ERROR;
    }
  }
  pthread_mutex_lock(&lock);
  if (strchr(local_hostname, ':'))
    snprintf(cl->hostname, sizeof cl->hostname, "%s", local_hostname);
  else
    snprintf(cl->hostname, sizeof cl->hostname, "%s:%d", local_hostname, next_port++);
  cl->local_buffer_size = local_buffer_size;
  cl->segment_size = global_segment_size;
  cl->cluster = cluster_for(master_server_addr);
  cl->initialized = 1;
  cl->next_live = live_clients;
  live_clients = cl;
  pthread_mutex_unlock(&lock);
  return OK;
}

EXPORT int mooncake_store_init_all(mooncake_store_t store, const char *protocol,
                                   const char *device_name, uint64_t mount_segment_size) {
  (void)protocol;
  (void)device_name;
  (void)mount_segment_size;
  client_t *cl = store;
  if (!cl) return INTERNAL_ERROR;
  if (cl->initialized) return INVALID_PARAMS;
  /* The real call hard-codes etcd metadata, which a default build cannot parse: fatal. */
  fprintf(stderr, "mooncake_store_double: FATAL init_all uses etcd metadata\n");
  abort();
}

EXPORT int mooncake_store_health_check(mooncake_store_t store) {
  client_t *cl = store;
  if (!cl) return INTERNAL_ERROR;
  if (!cl->initialized) return 1;
  pthread_mutex_lock(&lock);
  int down = cl->cluster->down;
  pthread_mutex_unlock(&lock);
  return down ? 2 : 0;
}

/* ---- put ------------------------------------------------------------------------ */

static int check_key(const char *key) { return key[0] == '\0' ? INVALID_PARAMS : OK; }

EXPORT int mooncake_store_put(mooncake_store_t store, const char *key, const void *value,
                              size_t size, const mooncake_replicate_config_t *config) {
  client_t *cl = store;
  if (!cl || !key || (!value && size > 0)) return INTERNAL_ERROR;
  if (!cl->initialized) return INVALID_PARAMS;
  if (config && config->replica_num == 0) return INVALID_PARAMS;
  if (check_key(key) != OK || size == 0) return INVALID_PARAMS;
  if (size > cl->local_buffer_size) return INVALID_PARAMS; /* staging buffer cannot supply it */
  if (master_down_blocks(cl)) return RPC_FAIL;
  pthread_mutex_lock(&lock);
  int rc = store_locked(cl, key, value, size);
  pthread_mutex_unlock(&lock);
  return rc;
}

static int put_from_locked(client_t *cl, const char *key, void *buffer, size_t size,
                           const mooncake_replicate_config_t *config) {
  if (config && config->replica_num == 0) return INVALID_PARAMS;
  if (check_key(key) != OK) return INVALID_PARAMS;
  if (size == 0) return OK; /* the real client logs a warning and stores nothing */
  if (!in_registered(cl, buffer, size)) return TRANSFER_FAIL;
  return store_locked(cl, key, buffer, size);
}

EXPORT int mooncake_store_put_from(mooncake_store_t store, const char *key, void *buffer,
                                   size_t size, const mooncake_replicate_config_t *config) {
  client_t *cl = store;
  if (!cl || !key || (!buffer && size > 0)) return INTERNAL_ERROR;
  if (!cl->initialized) return INVALID_PARAMS;
  if (master_down_blocks(cl)) return RPC_FAIL;
  pthread_mutex_lock(&lock);
  int rc = put_from_locked(cl, key, buffer, size, config);
  pthread_mutex_unlock(&lock);
  return rc;
}

static int batch_args_ok(const char **keys, void **buffers, const size_t *sizes, size_t count) {
  if (!keys || !buffers || !sizes) return 0;
  for (size_t i = 0; i < count; i++)
    if (!keys[i] || (!buffers[i] && sizes[i] > 0)) return 0;
  return 1;
}

EXPORT int mooncake_store_batch_put_from(mooncake_store_t store, const char **keys, void **buffers,
                                         const size_t *sizes, size_t count,
                                         const mooncake_replicate_config_t *config,
                                         int *results_out) {
  client_t *cl = store;
  if (!cl || !results_out || !batch_args_ok(keys, buffers, sizes, count)) return INTERNAL_ERROR;
  if (cl->initialized && count > 0 && master_down_blocks(cl)) {
    /* The real client pays a put's start and its revoke: about twice a read's wait. */
    master_down_blocks(cl);
    for (size_t i = 0; i < count; i++) results_out[i] = RPC_FAIL;
    return OK;
  }
  pthread_mutex_lock(&lock);
  for (size_t i = 0; i < count; i++)
    results_out[i] = cl->initialized ? put_from_locked(cl, keys[i], buffers[i], sizes[i], config)
                                     : INVALID_PARAMS;
  pthread_mutex_unlock(&lock);
  return OK;
}

/* ---- get ------------------------------------------------------------------------ */

/* One key of a read: where its bytes are and where they go, decided under the lock. */
typedef struct read_plan {
  const unsigned char *src;
  void *dst;
  size_t size;
  int copy; /* 0 for an earlier duplicate of a key: the real store fills only the last buffer */
} read_plan_t;

static int64_t plan_read_locked(client_t *cl, const char *key, void *buffer, size_t size, read_plan_t *plan,
                                int64_t *lease_until) {
  plan->copy = 0;
  if (check_key(key) != OK) return INVALID_PARAMS;
  object_t *o = find(cl->cluster, key);
  if (!o) return OBJECT_NOT_FOUND;
  int64_t until = grant_lease(o);
  if (until < *lease_until) *lease_until = until;
  if (size < o->size) return INVALID_PARAMS;
  if (!in_registered(cl, buffer, o->size)) return TRANSFER_FAIL;
  plan->src = o->owner->segment + o->offset;
  plan->dst = buffer;
  plan->size = o->size;
  plan->copy = 1;
  return (int64_t)o->size;
}

/*
 * Reads count keys: look up and lease under the lock, then transfer outside it (half the bytes,
 * the configured transfer time, the other half), then fail the whole batch with LEASE_EXPIRED if
 * the transfer outlasted a lease.
 */
static void read_batch(client_t *cl, const char **keys, void **buffers, const size_t *sizes, size_t count,
                       int64_t *results_out) {
  read_plan_t *plan = calloc(count ? count : 1, sizeof *plan);
  if (!plan) {
    for (size_t i = 0; i < count; i++) results_out[i] = INTERNAL_ERROR;
    return;
  }
  int64_t lease_until = INT64_MAX;
  size_t bytes = 0;
  pthread_mutex_lock(&lock);
  for (size_t i = 0; i < count; i++) {
    results_out[i] = cl->initialized ? plan_read_locked(cl, keys[i], buffers[i], sizes[i], &plan[i], &lease_until)
                                     : INVALID_PARAMS;
    if (plan[i].copy) bytes += plan[i].size;
  }
  pthread_mutex_unlock(&lock);
  for (size_t i = 0; i < count; i++) {
    for (size_t j = i + 1; j < count && plan[i].copy; j++)
      if (plan[j].copy && strcmp(keys[i], keys[j]) == 0) plan[i].copy = 0;
  }
  for (size_t i = 0; i < count; i++)
    if (plan[i].copy) memcpy(plan[i].dst, plan[i].src, plan[i].size / 2);
  int64_t bandwidth = load64(&read_bandwidth);
  int64_t transfer_us = load64(&read_delay_us);
  if (bandwidth > 0) transfer_us += (int64_t)((double)bytes * 1e6 / (double)bandwidth);
  sleep_us(transfer_us);
  for (size_t i = 0; i < count; i++)
    if (plan[i].copy) memcpy((char *)plan[i].dst + plan[i].size / 2, plan[i].src + plan[i].size / 2,
                             plan[i].size - plan[i].size / 2);
  if (lease_until != INT64_MAX && now_ms() > lease_until) {
    for (size_t i = 0; i < count; i++)
      if (results_out[i] >= 0) results_out[i] = LEASE_EXPIRED;
  }
  free(plan);
}

EXPORT int64_t mooncake_store_get_into(mooncake_store_t store, const char *key, void *buffer,
                                       size_t size) {
  client_t *cl = store;
  if (!cl || !key || (!buffer && size > 0)) return INTERNAL_ERROR;
  if (!cl->initialized) return INVALID_PARAMS;
  if (master_down_blocks(cl)) return RPC_FAIL;
  int64_t rc;
  __atomic_add_fetch(&cl->in_call, 1, __ATOMIC_SEQ_CST);
  read_batch(cl, &key, &buffer, &size, 1, &rc);
  __atomic_sub_fetch(&cl->in_call, 1, __ATOMIC_SEQ_CST);
  return rc;
}

EXPORT int mooncake_store_batch_get_into(mooncake_store_t store, const char **keys, void **buffers,
                                         const size_t *sizes, size_t count, int64_t *results_out) {
  client_t *cl = store;
  if (!cl || !results_out || !batch_args_ok(keys, buffers, sizes, count)) return INTERNAL_ERROR;
  if (cl->initialized && count > 0 && master_down_blocks(cl)) {
    for (size_t i = 0; i < count; i++) results_out[i] = RPC_FAIL;
    return OK;
  }
  read_batch(cl, keys, buffers, sizes, count, results_out);
  return OK;
}

/* ---- existence, size, hostname ---------------------------------------------------- */

static int is_exist_locked(client_t *cl, const char *key) {
  if (check_key(key) != OK) return INVALID_PARAMS;
  object_t *o = find(cl->cluster, key);
  if (!o) return 0;
  grant_lease(o);
  return 1;
}

EXPORT int mooncake_store_is_exist(mooncake_store_t store, const char *key) {
  client_t *cl = store;
  if (!cl || !key) return INTERNAL_ERROR;
  if (!cl->initialized) return INVALID_PARAMS;
  if (master_down_blocks(cl)) return RPC_FAIL;
  pthread_mutex_lock(&lock);
  int rc = is_exist_locked(cl, key);
  pthread_mutex_unlock(&lock);
  return rc;
}

EXPORT int mooncake_store_batch_is_exist(mooncake_store_t store, const char **keys, size_t count,
                                         int *results_out) {
  client_t *cl = store;
  if (!cl || !keys || !results_out) return INTERNAL_ERROR;
  for (size_t i = 0; i < count; i++)
    if (!keys[i]) return INTERNAL_ERROR;
  if (cl->initialized && count > 0 && master_down_blocks(cl)) {
    for (size_t i = 0; i < count; i++) results_out[i] = RPC_FAIL;
    return OK;
  }
  pthread_mutex_lock(&lock);
  for (size_t i = 0; i < count; i++)
    results_out[i] = cl->initialized ? is_exist_locked(cl, keys[i]) : INVALID_PARAMS;
  pthread_mutex_unlock(&lock);
  return OK;
}

EXPORT int64_t mooncake_store_get_size(mooncake_store_t store, const char *key) {
  client_t *cl = store;
  if (!cl || !key) return INTERNAL_ERROR;
  if (!cl->initialized) return INVALID_PARAMS;
  if (check_key(key) != OK) return INVALID_PARAMS;
  if (master_down_blocks(cl)) return RPC_FAIL;
  pthread_mutex_lock(&lock);
  object_t *o = find(cl->cluster, key);
  int64_t rc = OBJECT_NOT_FOUND;
  if (o) {
    grant_lease(o);
    rc = (int64_t)o->size;
  }
  pthread_mutex_unlock(&lock);
  return rc;
}

EXPORT int mooncake_store_get_hostname(mooncake_store_t store, char *buf_out, size_t buf_len) {
  client_t *cl = store;
  if (!cl || !buf_out || buf_len == 0) return INTERNAL_ERROR;
  if (!cl->initialized) return INVALID_PARAMS;
  size_t n = strlen(cl->hostname);
  if (buf_len <= n) return INTERNAL_ERROR;
  memcpy(buf_out, cl->hostname, n + 1);
  return OK;
}

/* ---- remove --------------------------------------------------------------------- */

EXPORT int mooncake_store_remove(mooncake_store_t store, const char *key, int force) {
  client_t *cl = store;
  if (!cl || !key) return INTERNAL_ERROR;
  if (!cl->initialized) return INVALID_PARAMS;
  if (check_key(key) != OK) return INVALID_PARAMS;
  if (master_down_blocks(cl)) return RPC_FAIL;
  pthread_mutex_lock(&lock);
  int rc = OBJECT_NOT_FOUND;
  for (object_t **pp = &cl->cluster->objects; *pp; pp = &(*pp)->next) {
    object_t *o = *pp;
    if (strcmp(o->key, key) != 0) continue;
    if (!force && o->lease_until_ms > now_ms()) {
      rc = OBJECT_HAS_LEASE;
    } else {
      *pp = o->next;
      free_object(o);
      rc = OK;
    }
    break;
  }
  pthread_mutex_unlock(&lock);
  return rc;
}

static int matches_regex(object_t *o, void *re) { return regexec(re, o->key, 0, NULL, 0) == 0; }

EXPORT int64_t mooncake_store_remove_by_regex(mooncake_store_t store, const char *pattern, int force) {
  client_t *cl = store;
  if (!cl || !pattern) return INTERNAL_ERROR;
  if (!cl->initialized) return INVALID_PARAMS;
  regex_t re;
  /* The real library uses std::regex (ECMAScript) and catches its exception: -1. */
  if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) return INTERNAL_ERROR;
  if (master_down_blocks(cl)) {
    regfree(&re);
    return RPC_FAIL;
  }
  pthread_mutex_lock(&lock);
  int64_t n = remove_where(cl, matches_regex, &re, force);
  pthread_mutex_unlock(&lock);
  regfree(&re);
  return n;
}

static int always(object_t *o, void *arg) {
  (void)o;
  (void)arg;
  return 1;
}

EXPORT int64_t mooncake_store_remove_all(mooncake_store_t store, int force) {
  client_t *cl = store;
  if (!cl) return INTERNAL_ERROR;
  if (!cl->initialized) return INVALID_PARAMS;
  if (master_down_blocks(cl)) return RPC_FAIL;
  pthread_mutex_lock(&lock);
  int64_t n = remove_where(cl, always, NULL, force);
  pthread_mutex_unlock(&lock);
  return n;
}

/* ---- registration --------------------------------------------------------------- */

EXPORT int mooncake_store_register_buffer(mooncake_store_t store, void *buffer, size_t size) {
  client_t *cl = store;
  if (!cl || !buffer || size == 0) return INTERNAL_ERROR;
  if (!cl->initialized) return INVALID_PARAMS;
  pthread_mutex_lock(&lock);
  int rc = OK;
  for (region_t *r = cl->regions; r; r = r->next)
    if (r->base == (uintptr_t)buffer) rc = INVALID_PARAMS; /* inference: a base registered twice */
  if (rc == OK) {
    region_t *r = calloc(1, sizeof *r);
    r->base = (uintptr_t)buffer;
    r->size = size;
    r->next = cl->regions;
    cl->regions = r;
  }
  pthread_mutex_unlock(&lock);
  return rc;
}

EXPORT int mooncake_store_unregister_buffer(mooncake_store_t store, void *buffer) {
  client_t *cl = store;
  if (!cl || !buffer) return INTERNAL_ERROR;
  if (!cl->initialized) return INVALID_PARAMS;
  pthread_mutex_lock(&lock);
  int rc = INVALID_PARAMS; /* not the base pointer of a registration */
  for (region_t **pp = &cl->regions; *pp; pp = &(*pp)->next) {
    if ((*pp)->base == (uintptr_t)buffer) {
      region_t *r = *pp;
      *pp = r->next;
      free(r);
      rc = OK;
      break;
    }
  }
  pthread_mutex_unlock(&lock);
  return rc;
}

/* ---- test controls (not part of store_c.h) ------------------------------------------ */

/* How many destroys so far found a single get_into still inside the client being destroyed. */
EXPORT int64_t mooncake_double_destroys_during_calls(void) { return __atomic_load_n(&destroys_during_calls, __ATOMIC_SEQ_CST); }

EXPORT void mooncake_double_set_read_delay_us(int64_t us) { store64(&read_delay_us, us < 0 ? 0 : us); }

EXPORT void mooncake_double_set_read_bandwidth(int64_t bytes_per_second) {
  store64(&read_bandwidth, bytes_per_second < 0 ? 0 : bytes_per_second);
}

EXPORT void mooncake_double_set_lease_ttl_ms(int64_t ms) { store64(&lease_ttl_ms, ms < 0 ? 0 : ms); }

/*
 * Stops (down != 0) or restarts the master of this address. While it is down each call that needs
 * it blocks block_ms and fails. A restart forgets every object (the master kept them in memory)
 * and remounts every live client's segment empty. Returns 0, or -1 for an address no client used.
 */
EXPORT int mooncake_double_set_master_down(const char *master, int down, int64_t block_ms) {
  if (!master) return INTERNAL_ERROR;
  pthread_mutex_lock(&lock);
  cluster_t *c = NULL;
  for (cluster_t *x = clusters; x; x = x->next)
    if (strcmp(x->master, master) == 0) c = x;
  if (!c) {
    pthread_mutex_unlock(&lock);
    return INTERNAL_ERROR;
  }
  if (!down && c->down) {
    while (c->objects) {
      object_t *o = c->objects;
      c->objects = o->next;
      o->owner = NULL;
      free_object(o);
    }
    for (client_t *x = live_clients; x; x = x->next_live)
      if (x->cluster == c) segment_reset(x);
  }
  c->down = down != 0;
  c->block_ms = block_ms < 0 ? 0 : block_ms;
  pthread_mutex_unlock(&lock);
  return OK;
}
