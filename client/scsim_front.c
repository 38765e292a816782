/* SPDX-License-Identifier: MIT */
/*
 * The scsim program: `scsim run` here, every other verb in the scsim module
 * (libscsim-cli.so), loaded when one is asked for. scsim run starts before
 * the cards and the tests it runs, so it loads nothing it does not use:
 * libcrypto, libfyaml and json-c cost a process about 5 ms to map and
 * relocate (docs/performance.md), as much as the rest of its start.
 */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "run.h"

/* The module's entry points (scsim.c and run_profile.c, built into it). */
typedef int module_main_fn(int argc, char **argv);
typedef int module_check_fn(const char *name);

/* The module: beside this program (the build tree), or where it is installed. */
static void *module(void)
{
        static const char *const where[] = {"", SCSIM_MODULE_FROM_BINDIR};
        static void *handle;
        char self[PATH_MAX], path[PATH_MAX + 64], *dir;
        ssize_t n;

        if (handle != NULL)
                return handle;
        if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
                perror("scsim: /proc/self/exe");
                return NULL;
        }
        self[n] = '\0';
        dir = dirname(self);
        for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
                if ((size_t)snprintf(path, sizeof(path), "%s/%s%s", dir, where[i],
                                     "libscsim-cli.so") >= sizeof(path) ||
                    access(path, R_OK) != 0)
                        continue;
                if ((handle = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL)
                        fprintf(stderr, "scsim: cannot load %s: %s\n", path, dlerror());
                return handle;
        }
        fprintf(stderr,
                "scsim: its module libscsim-cli.so is neither beside %s/scsim nor in "
                "%s/%s: reinstall scsim\n",
                dir, dir, SCSIM_MODULE_FROM_BINDIR);
        return NULL;
}

/* The module's function name into *fn (the size of a function pointer); 0 or -1. */
static int entry(const char *name, void *fn, size_t size)
{
        void *h = module(), *sym;

        if (h == NULL)
                return -1;
        if ((sym = dlsym(h, name)) == NULL || size != sizeof(sym)) {
                fprintf(stderr, "scsim: the module has no %s: reinstall scsim\n", name);
                return -1;
        }
        memcpy(fn, &sym, size); /* POSIX: dlsym's pointer may be used as a function's */
        return 0;
}

int run_check_profile(const char *name)
{
        module_check_fn *check;

        if (entry("scsim_module_check_profile", &check, sizeof(check)) != 0)
                return -1;
        return check(name);
}

int main(int argc, char **argv)
{
        module_main_fn *main_of_module;

        /* as the module does: no core dump, no ptrace by the same user (the verbs read PINs) */
        (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        if (argc >= 2 && strcmp(argv[1], "run") == 0)
                return verb_run.run(argc - 1, argv + 1);
        if (entry("scsim_module_main", &main_of_module, sizeof(main_of_module)) != 0)
                return EXIT_RUNTIME;
        return main_of_module(argc, argv);
}
