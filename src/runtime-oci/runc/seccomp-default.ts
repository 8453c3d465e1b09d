/**
 * The `RuntimeDefault` seccomp profile: the default profile of Docker and containerd (moby's
 * `profiles/seccomp/default.json`), kept here as data and turned into the `linux.seccomp` section of
 * one container's `config.json` for the node's architecture and the container's capabilities, as
 * moby does when it creates a container. Everything not allowed fails with EPERM; `clone3` fails
 * with ENOSYS so C libraries fall back to `clone`, whose namespace flags stay filtered.
 *
 * Moby's entries for architectures an edge node does not run (ppc64le, s390, mips, riscv) are left
 * out; the three entries moby gates on kernel 4.8 (`ptrace`, `process_vm_readv/writev`) are always
 * allowed, as every kernel a supported node runs is newer.
 */

/** The system calls every container may make. Names unknown to the node's libseccomp are ignored by runc. */
const ALLOWED = `accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32 clock_adjtime
clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep clock_nanosleep_time64 close
close_range connect copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait
epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64
fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr
flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex
futex_time64 futex_waitv futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32
getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid getresgid32
getresuid getresuid32 getrlimit get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid gettimeofday
getuid getuid32 getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy
io_getevents io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit io_uring_enter io_uring_register
io_uring_setup ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link
linkat listen listxattr llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise membarrier memfd_create
memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open
mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv msgsnd msync
munlock munlockall munmap name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause pidfd_open
pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2
prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv
recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr rename renameat renameat2 restart_syscall rmdir rseq
rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64
rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min
sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam
sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile sendfile64
sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid
setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit set_robust_list
setsid setsockopt set_thread_area set_tid_address setuid setuid32 setxattr shmat shmctl shmdt shmget shutdown sigaltstack
signalfd signalfd4 sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat
sync sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64
timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill
truncate truncate64 ugetrlimit umask uname unlink unlinkat utime utimensat utimensat_time64 utimes vfork vmsplice wait4
waitid waitpid write writev process_vm_readv process_vm_writev ptrace`;

/** Allowed only on some architectures (Node.js `process.arch` names). */
const BY_ARCH: Record<string, string[]> = {
  x64: ['arch_prctl', 'modify_ldt'],
  arm64: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'],
  arm: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'],
};

/** Allowed only to a container holding the capability (without `CAP_`). */
const BY_CAPABILITY: Array<[string, string[]]> = [
  ['DAC_READ_SEARCH', ['open_by_handle_at']],
  [
    'SYS_ADMIN',
    [
      'bpf',
      'clone',
      'clone3',
      'fanotify_init',
      'fsconfig',
      'fsmount',
      'fsopen',
      'fspick',
      'lookup_dcookie',
      'mount',
      'mount_setattr',
      'move_mount',
      'open_tree',
      'perf_event_open',
      'quotactl',
      'quotactl_fd',
      'setdomainname',
      'sethostname',
      'setns',
      'syslog',
      'umount',
      'umount2',
      'unshare',
    ],
  ],
  ['SYS_BOOT', ['reboot']],
  ['SYS_CHROOT', ['chroot']],
  ['SYS_MODULE', ['delete_module', 'init_module', 'finit_module']],
  ['SYS_PACCT', ['acct']],
  ['SYS_PTRACE', ['kcmp', 'pidfd_getfd', 'process_madvise', 'process_vm_readv', 'process_vm_writev', 'ptrace']],
  ['SYS_RAWIO', ['iopl', 'ioperm']],
  ['SYS_TIME', ['settimeofday', 'stime', 'clock_settime', 'clock_settime64']],
  ['SYS_TTY_CONFIG', ['vhangup']],
  ['SYS_NICE', ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node']],
  ['SYSLOG', ['syslog']],
  ['BPF', ['bpf']],
  ['PERFMON', ['perf_event_open']],
];

/** The seccomp architectures of a node (native first, then the compat ones its kernel also runs). */
const ARCHITECTURES: Record<string, string[]> = {
  x64: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  arm64: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
  arm: ['SCMP_ARCH_ARM'],
};

/** `personality()` personas a container may switch to: Linux, 32-bit Linux, UNAME26 with both, and the query. */
const PERSONALITIES = [0, 8, 131072, 131080, 4294967295];
/** Namespace flags of `clone` (CLONE_NEWNS, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWCGROUP). */
const CLONE_NAMESPACE_FLAGS = 2114060288;
/** AF_VSOCK: sockets of this family are refused (they reach the host's hypervisor). */
const AF_VSOCK = 40;
const EPERM = 1;
const ENOSYS = 38;

interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

interface SeccompRule {
  names: string[];
  action: 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO';
  errnoRet?: number;
  args?: SeccompArg[];
}

/** The OCI `linux.seccomp` section. */
export interface SeccompConfig {
  defaultAction: 'SCMP_ACT_ERRNO';
  defaultErrnoRet: number;
  architectures: string[];
  syscalls: SeccompRule[];
}

/** True when `arch` (a Node.js `process.arch`) has a default profile here. */
export function seccompSupported(arch: string): boolean {
  return ARCHITECTURES[arch] !== undefined;
}

/**
 * The default profile for a container holding `capabilities` (names without `CAP_`) on a node of
 * architecture `arch` (`process.arch`: `x64`, `arm64`, `arm`).
 */
export function defaultSeccompProfile(arch: string, capabilities: readonly string[]): SeccompConfig {
  const architectures = ARCHITECTURES[arch];
  if (!architectures) throw new Error(`no default seccomp profile for architecture ${arch}`);
  const caps = new Set(capabilities);
  const allowed = new Set(ALLOWED.split(/\s+/).filter(Boolean));
  for (const name of BY_ARCH[arch] ?? []) allowed.add(name);
  for (const [cap, names] of BY_CAPABILITY) if (caps.has(cap)) for (const n of names) allowed.add(n);
  const syscalls: SeccompRule[] = [
    { names: [...allowed].sort(), action: 'SCMP_ACT_ALLOW' },
    { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }] },
    ...PERSONALITIES.map((p): SeccompRule => ({
      names: ['personality'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: p, op: 'SCMP_CMP_EQ' }],
    })),
  ];
  if (!caps.has('SYS_ADMIN')) {
    // Threads and processes, but no new namespaces; clone3 cannot be filtered by its flags (they sit behind a pointer).
    syscalls.push({
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    });
    syscalls.push({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS });
  }
  return { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: EPERM, architectures, syscalls };
}
