/*
 * triggers-job-launcher: runs one worker slot's process-per-job jobs, one after another, inside the slot's bubblewrap
 * sandbox, so that a job pays for a fork and an exec instead of a new sandbox (namespaces, about twenty mounts and two
 * helper programs: 8-12 ms a job on a 2-core machine) and the silo's own child-process handling.
 *
 * Usage: triggers-job-launcher <writable folder>...
 *   The folders are every place a job can write in the sandbox; each is emptied after every job.
 *   The launcher is the sandbox's init (bubblewrap --as-pid-1): no other process there holds the silo's pipes, jobs
 *   cannot signal it, and it reaps what they leave.
 *
 * Requests, on stdin: a 32-bit little-endian byte count, then that many bytes of NUL-terminated fields, each tagged
 * by its first character:
 *   D<directory>  the job's working directory, in the last writable folder
 *   A<argument>   argv, in order; the first is the executable's absolute path
 *   E<NAME=value> the job's whole environment
 *   L<resource>=<value>  a limit: data, nproc, nofile, fsize, cpu (setrlimit, soft and hard)
 *   T<ms>         the time limit
 *   K<name>       a file in the job's directory that the silo reads after the job (its result), kept until the next
 *                 job (unless it is a directory)
 * Answers, on stdout: frames of a tag byte, a 32-bit little-endian length and the payload:
 *   'O' / 'E'     bytes the job wrote to stdout / stderr
 *   'X'           the end: "exit N", "signal N", "timeout" or "error <why it could not start>", followed by
 *                 " unclean" when the sandbox could not be emptied: the launcher then exits, and the silo starts a
 *                 new sandbox for the next job
 *
 * Nothing of a job reaches the next: when a job ends, every process it started is killed (kill(-1) from init reaches
 * every other process in the sandbox), and before the end is reported the writable folders (but the job's kept
 * files), System V IPC objects, POSIX message queues and the user's keyrings are emptied; the next request first
 * removes the kept files. The launcher is not dumpable, so a job (same user) cannot trace it or open its descriptors.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/keyctl.h>

#define MAX_REQUEST (64u << 20)
#define MAX_FIELDS 65536
#define MAX_WIPE_DEPTH 256
#define MAX_KEPT 8

static void die(const char *what) {
    fprintf(stderr, "triggers-job-launcher: %s: %s\n", what, strerror(errno));
    exit(2);
}

static int read_full(int fd, void *buffer, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = read(fd, (char *)buffer + done, size - done);
        if (n == 0) return done == 0 ? 0 : -1;
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        done += (size_t)n;
    }
    return 1;
}

static void write_full(int fd, const void *buffer, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, (const char *)buffer + done, size - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("write to the silo"); /* the silo is gone */
        }
        done += (size_t)n;
    }
}

static void frame(char tag, const void *payload, uint32_t length) {
    unsigned char header[5] = {(unsigned char)tag, length & 0xff, (length >> 8) & 0xff, (length >> 16) & 0xff, length >> 24};
    write_full(STDOUT_FILENO, header, sizeof header);
    write_full(STDOUT_FILENO, payload, length);
}

/* How the job ended, sent as its last frame once the sandbox is clean again. */
static char outcome[512];

static void finish(const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(outcome, sizeof outcome, format, args);
    va_end(args);
}

struct job {
    const char *directory;
    char **argv;
    char **envp;
    struct { int resource; rlim_t value; } limits[8];
    int limit_count;
    long timeout_ms;
    const char *kept[MAX_KEPT + 1];
};

static int resource_named(const char *name, size_t length) {
    static const struct { const char *name; int resource; } known[] = {
        {"data", RLIMIT_DATA}, {"nproc", RLIMIT_NPROC}, {"nofile", RLIMIT_NOFILE}, {"fsize", RLIMIT_FSIZE}, {"cpu", RLIMIT_CPU},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strlen(known[i].name) == length && memcmp(known[i].name, name, length) == 0) return known[i].resource;
    return -1;
}

/* Splits a request into a job; returns why it is malformed (the silo's bug, not the job's), or NULL. */
static const char *parse(char *request, uint32_t size, struct job *job, char **argv, char **envp) {
    if (size == 0 || request[size - 1] != '\0') return "the request does not end with a NUL";
    int argc = 0, envc = 0;
    memset(job, 0, sizeof *job);
    job->timeout_ms = -1;
    for (char *field = request; field < request + size; field += strlen(field) + 1) {
        char *value = field + 1;
        switch (field[0]) {
        case 'D': job->directory = value; break;
        case 'A':
            if (argc == MAX_FIELDS) return "the request has too many arguments";
            argv[argc++] = value;
            break;
        case 'E':
            if (envc == MAX_FIELDS) return "the request has too many variables";
            envp[envc++] = value;
            break;
        case 'T': job->timeout_ms = strtol(value, NULL, 10); break;
        case 'K': {
            int count = 0;
            while (job->kept[count] != NULL) count++;
            if (count == MAX_KEPT || strchr(value, '/') != NULL) return "a kept file is one too many or not a name";
            job->kept[count] = value;
            break;
        }
        case 'L': {
            char *equals = strchr(value, '=');
            int resource = equals ? resource_named(value, (size_t)(equals - value)) : -1;
            if (resource < 0 || job->limit_count == 8) return "a limit is unknown";
            job->limits[job->limit_count].resource = resource;
            job->limits[job->limit_count++].value = (rlim_t)strtoull(equals + 1, NULL, 10);
            break;
        }
        default: return "a field has an unknown tag";
        }
    }
    if (argc == 0 || job->directory == NULL || argv[0][0] != '/') return "the request has no directory or no absolute executable";
    argv[argc] = NULL;
    envp[envc] = NULL;
    job->argv = argv;
    job->envp = envp;
    return NULL;
}

/* In the child: becomes the job's process. Tells the parent why through `report` when it cannot. */
static void become_job(const struct job *job, int out, int err, int report) {
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0) goto failed;
    if (setsid() < 0 || chdir(job->directory) < 0) goto failed;
    for (int i = 0; i < job->limit_count; i++) {
        struct rlimit limit = {job->limits[i].value, job->limits[i].value};
        if (setrlimit(job->limits[i].resource, &limit) < 0) goto failed;
    }
    /* What the launcher blocks and ignores would be the job's too (both survive exec). */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    /* A session keyring of its own, not the launcher's that every job would share (refused where keyctl is filtered). */
    syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL);
    execve(job->argv[0], job->argv, job->envp);
failed:;
    int error = errno;
    write(report, &error, sizeof error);
    _exit(127);
}

/* The job's own process, and how it ended once reaped. */
static pid_t job_pid;
static int job_status, job_ended;

/* Reaps every child that ended, the job's and what it left (the launcher is init: orphans are its children). */
static void reap(void) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        if (pid == job_pid) {
            job_status = status;
            job_ended = 1;
        }
}

/* Whether a process other than this launcher (the sandbox's init) is still running; zombies have ended. */
static int others_running(void) {
    DIR *processes = opendir("/proc");
    if (processes == NULL) die("open /proc");
    int running = 0;
    struct dirent *entry;
    while (!running && (entry = readdir(processes)) != NULL) {
        long pid = strtol(entry->d_name, NULL, 10);
        if (pid <= 1 || pid == getpid()) continue;
        char path[64], line[512];
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        FILE *stat = fopen(path, "re");
        if (stat == NULL) continue;
        char *state = fgets(line, sizeof line, stat) != NULL ? strrchr(line, ')') : NULL;
        running = state != NULL && state[1] == ' ' && state[2] != 'Z' && state[2] != 'X';
        fclose(stat);
    }
    closedir(processes);
    return running;
}

/* Kills every process in the sandbox but this launcher, until none is left, and reaps them. */
static void kill_the_rest(void) {
    for (int attempt = 0; attempt < 1000; attempt++) {
        kill(-1, SIGKILL);
        reap();
        if (!others_running()) {
            reap();
            return;
        }
        usleep(1000);
    }
    fprintf(stderr, "triggers-job-launcher: a job's processes would not die\n");
    exit(3);
}

/*
 * Removes everything inside the directory open as `fd` (which it closes) but mount points, which are other writable
 * folders or lead to them, the entry named `keep`, and the files (not directories) named in `kept`. Returns -1 when something
 * else stays, 1 when a mount point stays, 0 when it is empty.
 */
static int empty_directory(int fd, int depth, const char *keep, const char *const *kept) {
    struct stat self;
    DIR *directory = fstat(fd, &self) == 0 ? fdopendir(fd) : NULL;
    if (directory == NULL) { close(fd); return -1; }
    int result = 0;
    struct dirent *entry;
    while ((entry = readdir(directory)) != NULL) {
        const char *name = entry->d_name;
        struct stat status;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || (keep != NULL && strcmp(name, keep) == 0)) continue;
        if (fstatat(fd, name, &status, AT_SYMLINK_NOFOLLOW) < 0) { if (errno != ENOENT) result = -1; continue; }
        int is_kept = 0;
        for (int i = 0; kept != NULL && kept[i] != NULL; i++) is_kept |= strcmp(name, kept[i]) == 0;
        /* Kept as it is, link or FIFO too (the silo checks what it reads), but never a directory: a kept file must
         * be removable with one unlink before the next job. */
        if (is_kept && !S_ISDIR(status.st_mode)) continue;
        if (status.st_dev != self.st_dev) { if (result == 0) result = 1; continue; }
        if (!S_ISDIR(status.st_mode)) {
            if (unlinkat(fd, name, 0) < 0 && errno != ENOENT) result = -1;
            continue;
        }
        /* A directory: emptied first, made accessible first if the job took its permissions away. */
        fchmodat(fd, name, S_IRWXU, 0);
        int child = depth < MAX_WIPE_DEPTH ? openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
        int inside = child < 0 ? -1 : empty_directory(child, depth + 1, NULL, NULL);
        if (inside == 0 && unlinkat(fd, name, AT_REMOVEDIR) < 0) inside = -1;
        if (inside < 0) result = -1;
        else if (inside > 0 && result == 0) result = 1;
    }
    closedir(directory);
    return result;
}

/* Empties the folder at `path`, given back its permissions first; returns -1 when something stays. */
static int empty_folder(const char *path, const char *keep, const char *const *kept) {
    chmod(path, S_IRWXU);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return fd < 0 || empty_directory(fd, 0, keep, kept) < 0 ? -1 : 0;
}

/* Removes the IPC objects listed in /proc/sysvipc/<kind> (this IPC namespace's only). */
static void remove_ipc(const char *kind, int (*remove)(int)) {
    char path[64];
    snprintf(path, sizeof path, "/proc/sysvipc/%s", kind);
    FILE *list = fopen(path, "re");
    if (list == NULL) return;
    char line[512];
    if (fgets(line, sizeof line, list) != NULL) /* the header */
        while (fgets(line, sizeof line, list) != NULL) {
            long key, id;
            if (sscanf(line, "%ld %ld", &key, &id) == 2) remove((int)id);
        }
    fclose(list);
}

static int remove_shm(int id) { return shmctl(id, IPC_RMID, NULL); }
static int remove_sem(int id) { return semctl(id, 0, IPC_RMID); }
static int remove_msg(int id) { return msgctl(id, IPC_RMID, NULL); }

/* The entry of `directory` in `folder`, when it is directly in it. */
static const char *entry_in(const char *folder, const char *directory) {
    size_t length = strlen(folder);
    const char *name = strncmp(directory, folder, length) == 0 && directory[length] == '/' ? directory + length + 1 : NULL;
    return name != NULL && *name != '\0' && strchr(name, '/') == NULL ? name : NULL;
}

/* Before a job: the folder that holds jobs' directories (the last writable one) keeps only the new job's, which the
 * silo just wrote; what goes is the kept files of the job before, whose result the silo has read. */
static int clean_before(char **writable, int count, const struct job *job) {
    const char *folder = writable[count - 1];
    const char *own = entry_in(folder, job->directory);
    return own == NULL ? -1 : empty_folder(folder, own, NULL);
}

/* After a job, whose processes are all gone: every writable place is emptied but the job's kept files. */
static int clean_after(char **writable, int count, const struct job *job) {
    int result = 0;
    const char *folder = writable[count - 1];
    const char *own = entry_in(folder, job->directory);
    for (int i = 0; i < count; i++) result |= empty_folder(writable[i], i == count - 1 ? own : NULL, NULL);
    if (own != NULL) result |= empty_folder(job->directory, NULL, job->kept);
    remove_ipc("shm", remove_shm);
    remove_ipc("sem", remove_sem);
    remove_ipc("msg", remove_msg);
    syscall(SYS_keyctl, KEYCTL_CLEAR, KEY_SPEC_USER_KEYRING);
    syscall(SYS_keyctl, KEYCTL_CLEAR, KEY_SPEC_USER_SESSION_KEYRING);
    return result;
}

static long now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000L + now.tv_nsec / 1000000L;
}

/* Runs one job and frames everything it writes; `children` is a signalfd for SIGCHLD. */
static void run(const struct job *job, int children) {
    int out[2], err[2], report[2];
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0) die("pipe");
    job_ended = 0;
    job_pid = fork();
    if (job_pid < 0) { finish("error fork: %s", strerror(errno)); return; }
    if (job_pid == 0) become_job(job, out[1], err[1], report[1]);
    close(out[1]);
    close(err[1]);
    close(report[1]);

    int error = 0;
    int failed = read_full(report[0], &error, sizeof error) == 1;
    close(report[0]);
    if (failed) {
        kill_the_rest();
        close(out[0]);
        close(err[0]);
        finish("error %s: %s", job->argv[0], strerror(error));
        return;
    }

    long deadline = job->timeout_ms >= 0 ? now_ms() + job->timeout_ms : -1;
    struct pollfd watched[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {children, POLLIN, 0}};
    int open_pipes = 2, timed_out = 0;
    static char buffer[65536];
    /* Until the job's process ended and both pipes closed: the rest of its processes die with it, so they close. */
    while (open_pipes > 0 || !job_ended) {
        int wait_ms = -1;
        if (!job_ended && deadline >= 0) {
            /* Checked on every turn: a job that never stops writing would otherwise never time out. */
            long left = deadline - now_ms();
            if (left <= 0) {
                timed_out = 1;
                kill_the_rest();
                continue;
            }
            wait_ms = left > 1000000 ? 1000000 : (int)left;
        }
        if (poll(watched, 3, wait_ms) < 0) {
            if (errno == EINTR) continue;
            die("poll");
        }
        for (int i = 0; i < 2; i++) {
            if (watched[i].fd < 0 || watched[i].revents == 0) continue;
            ssize_t n = read(watched[i].fd, buffer, sizeof buffer);
            if (n > 0) frame(i == 0 ? 'O' : 'E', buffer, (uint32_t)n);
            else if (n == 0 || errno != EINTR) {
                close(watched[i].fd);
                watched[i].fd = -1;
                open_pipes--;
            }
        }
        if (watched[2].revents != 0) {
            struct signalfd_siginfo info;
            while (read(children, &info, sizeof info) > 0) {}
            int was_running = !job_ended;
            reap();
            /* Whatever it left running would keep its pipes open. */
            if (was_running && job_ended) kill_the_rest();
        }
    }
    if (timed_out) finish("timeout");
    else if (WIFSIGNALED(job_status)) finish("signal %d", WTERMSIG(job_status));
    else finish("exit %d", WEXITSTATUS(job_status));
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: triggers-job-launcher <writable folder>...\n"); return 2; }
    prctl(PR_SET_DUMPABLE, 0);
    signal(SIGPIPE, SIG_IGN);
    /* Ended children are noticed through a descriptor that poll watches with the job's pipes. */
    sigset_t child;
    sigemptyset(&child);
    sigaddset(&child, SIGCHLD);
    sigprocmask(SIG_BLOCK, &child, NULL);
    int children = signalfd(-1, &child, SFD_NONBLOCK | SFD_CLOEXEC);
    if (children < 0) die("signalfd");
    char **args = calloc(MAX_FIELDS + 1, sizeof *args);
    char **envs = calloc(MAX_FIELDS + 1, sizeof *envs);
    if (args == NULL || envs == NULL) die("calloc");
    for (;;) {
        unsigned char header[4];
        int got = read_full(STDIN_FILENO, header, sizeof header);
        if (got == 0) return 0; /* the silo closed the slot */
        if (got < 0) die("read a request");
        uint32_t size = header[0] | header[1] << 8 | header[2] << 16 | (uint32_t)header[3] << 24;
        if (size > MAX_REQUEST) { fprintf(stderr, "triggers-job-launcher: a request of %u bytes\n", size); return 2; }
        char *request = malloc(size ? size : 1);
        if (request == NULL) die("malloc");
        if (read_full(STDIN_FILENO, request, size) != 1) die("read a request");
        struct job job;
        const char *problem = parse(request, size, &job, args, envs);
        int clean = 1;
        if (problem != NULL) {
            finish("error %s", problem);
        } else if (clean_before(argv + 1, argc - 1, &job) < 0) {
            finish("error the sandbox could not be emptied before the job");
            clean = 0;
        } else {
            run(&job, children);
            clean = clean_after(argv + 1, argc - 1, &job) == 0;
        }
        if (!clean) strncat(outcome, " unclean", sizeof outcome - strlen(outcome) - 1);
        frame('X', outcome, (uint32_t)strlen(outcome));
        free(request);
        if (!clean) return 3;
    }
}
