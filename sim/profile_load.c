/* Profile loading entry points. TEMPORARY: the YAML loader (issue 4) replaces this file. */
#include <stdio.h>
#include <string.h>

#include <scsim/err.h>
#include <scsim/profile.h>

static int not_yet(const char *name, scsim_profile **out, scsim_diag *diag)
{
        if (out != NULL)
                *out = NULL;
        if (diag != NULL) {
                memset(diag, 0, sizeof(*diag));
                snprintf(diag->file, sizeof(diag->file), "%s", name != NULL ? name : "");
                snprintf(diag->message, sizeof(diag->message), "YAML profiles are not built yet");
        }
        return SCSIM_ERR_PROFILE;
}

int scsim_profile_load_file(const char *path, scsim_profile **out, scsim_diag *diag)
{
        return not_yet(path, out, diag);
}

int scsim_profile_load_buffer(const char *name, const char *text, size_t len, scsim_profile **out,
                              scsim_diag *diag)
{
        (void)text;
        (void)len;
        return not_yet(name, out, diag);
}

int scsim_profile_open(const char *name_or_path, scsim_profile **out, scsim_diag *diag)
{
        if (name_or_path != NULL && strcmp(name_or_path, "iso7816-chv") == 0) {
                if (diag != NULL)
                        memset(diag, 0, sizeof(*diag));
                return scsim_profile_default(out);
        }
        return not_yet(name_or_path, out, diag);
}
