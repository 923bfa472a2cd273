#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/futex.h>
static double tcpu(){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec*1e6+t.tv_nsec/1e3;}
int main(int c,char**v){long ms=atol(v[1]);int n=atoi(v[2]);int mode=atoi(v[3]);
 struct timespec ts={ms/1000,(ms%1000)*1000000L}; int f=0;
 double c0=tcpu();
 for(int i=0;i<n;i++){ if(mode==0) nanosleep(&ts,0); else syscall(SYS_futex,&f,FUTEX_WAIT_PRIVATE,0,&ts,0,0);}
 printf("%s %ld ms: %.1f us CPU per wake\n", mode?"futex":"nanosleep", ms,(tcpu()-c0)/n);}
