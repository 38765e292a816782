/* SPDX-License-Identifier: MIT */
/* Where the shipped profiles are, found from where this copy of libscsim was loaded. */
#define _GNU_SOURCE /* dladdr1() and RTLD_DL_LINKMAP */
#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scsim/profile.h>

/*
 * The build (sim/CMakeLists.txt) gives the profile directory relative to the
 * installed library and to the installed programs (a program may carry the
 * static library), so that an install under any prefix, or a prefix moved
 * after installing, finds its own profiles. SCSIM_PROFILE_DIR, the absolute
 * directory of the configured prefix, is the answer only when the code cannot
 * tell where it was loaded from. A build with SCSIM_BUILD_TREE also knows its
 * build tree: code running from there uses the source tree's profiles/.
 */
#if !defined(SCSIM_PROFILE_DIR) || !defined(SCSIM_PROFILE_DIR_FROM_LIB) ||                         \
    !defined(SCSIM_PROFILE_DIR_FROM_BIN)
#error "the build must define SCSIM_PROFILE_DIR, SCSIM_PROFILE_DIR_FROM_LIB and _FROM_BIN"
#endif

static char located[PATH_MAX];
static pthread_once_t located_once = PTHREAD_ONCE_INIT;

/* Any object of this file: its address says which loaded file holds this code. */
static const char anchor;

/* The resolved path of the file holding this code, and whether that is the program. */
static bool own_file(char *path, bool *is_program)
{
        Dl_info info;
        struct link_map *map = NULL;

        if (dladdr1(&anchor, &info, (void **)&map, RTLD_DL_LINKMAP) == 0 || map == NULL)
                return false;
        /* The dynamic linker leaves the program's name empty, and dli_fname is then argv[0]. */
        *is_program = map->l_name == NULL || map->l_name[0] == '\0';
        if (*is_program)
                return realpath("/proc/self/exe", path) != NULL;
        return info.dli_fname != NULL && realpath(info.dli_fname, path) != NULL;
}

/* out = the directory of file, with rel ("../share/scsim/profiles") applied, no "..". */
static bool apply_relative(const char *file, const char *rel, char *out, size_t cap)
{
        char *slash;
        size_t n;
        int w = snprintf(out, cap, "%s", file);

        if (w < 0 || (size_t)w >= cap || (slash = strrchr(out, '/')) == NULL)
                return false;
        *slash = '\0';
        for (; strncmp(rel, "../", 3) == 0; rel += 3) {
                if ((slash = strrchr(out, '/')) == NULL)
                        return false;
                *slash = '\0';
        }
        n = strlen(out);
        w = snprintf(out + n, cap - n, "/%s", rel);
        return w > 0 && (size_t)w < cap - n;
}

#ifdef SCSIM_BUILD_TREE
static bool in_build_tree(const char *file)
{
        char tree[PATH_MAX];
        size_t n;

        if (realpath(SCSIM_BUILD_TREE, tree) == NULL)
                return false;
        n = strlen(tree);
        return strncmp(file, tree, n) == 0 && file[n] == '/';
}
#endif

static void locate(void)
{
        char self[PATH_MAX];
        bool is_program = false;

        if (own_file(self, &is_program)) {
#ifdef SCSIM_BUILD_TREE
                if (in_build_tree(self)) {
                        snprintf(located, sizeof(located), "%s", SCSIM_SOURCE_PROFILES);
                        return;
                }
#endif
                if (apply_relative(
                        self, is_program ? SCSIM_PROFILE_DIR_FROM_BIN : SCSIM_PROFILE_DIR_FROM_LIB,
                        located, sizeof(located)))
                        return;
        }
        snprintf(located, sizeof(located), "%s", SCSIM_PROFILE_DIR);
}

const char *scsim_profile_install_dir(void)
{
        if (pthread_once(&located_once, locate) != 0)
                return SCSIM_PROFILE_DIR;
        return located;
}
