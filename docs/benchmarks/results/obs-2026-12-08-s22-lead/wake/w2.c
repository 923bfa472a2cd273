#define _GNU_SOURCE
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <stdatomic.h>
static double tcpu(){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec*1e6+t.tv_nsec/1e3;}
static atomic_int f; static int n=300; static int mode; static volatile int done;
static void* waiter(void*a){ double c0=tcpu();
  for(int i=0;i<n;i++){ struct timespec ts={0,20000000}; syscall(SYS_futex,&f,FUTEX_WAIT_PRIVATE,0,mode==1?&ts:NULL,0,0); atomic_store(&f,0);} 
  printf("waiter (%s): %.1f us CPU per wake\n", mode?"timed 20ms, woken at 10ms":"untimed", (tcpu()-c0)/n); done=1; return 0;}
int main(int c,char**v){mode=atoi(v[1]); int busy=c>2; pthread_t t; pthread_create(&t,0,waiter,0);
 double c0=tcpu(); int k=0; double wk=0; struct timespec ts={0,10000000};
 while(!done){ if(busy){ struct timespec a,b; clock_gettime(CLOCK_MONOTONIC,&a); do clock_gettime(CLOCK_MONOTONIC,&b); while((b.tv_sec-a.tv_sec)*1e9+(b.tv_nsec-a.tv_nsec)<1e7);} else nanosleep(&ts,0);
   atomic_store(&f,1); double w0=tcpu(); syscall(SYS_futex,&f,FUTEX_WAKE_PRIVATE,1,0,0,0); wk+=tcpu()-w0; k++; }
 pthread_join(t,0); printf("waker: %d wakes, %.1f us CPU per FUTEX_WAKE\n",k,wk/k);}
