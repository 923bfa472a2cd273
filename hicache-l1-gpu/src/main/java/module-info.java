/** The L1 tier in GPU memory: the CUDA device pool and its transfers (a JNI library inside the jar). */
module dev.hicache.l1 {
  requires transitive dev.hicache.api;

  exports dev.hicache.l1;
}
