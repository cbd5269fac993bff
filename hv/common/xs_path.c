/* Xenstore paths and permissions: canonical forms, ancestry, who may do what, and their strings. */
#include "hv/lib.h"
#include "xs_internal.h"

static bool path_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '/' || c == '_' || c == '@';
}

/* Length of "/local/domain/<n>/" at the start of path, else 0 (xenstored: "%5u/%n"). */
static size_t local_prefix(const char *path)
{
    static const char pre[] = "/local/domain/";
    size_t l = sizeof(pre) - 1, d = 0;
    if (hv_strncmp(path, pre, l))
        return 0;
    while (d < 5 && path[l + d] >= '0' && path[l + d] <= '9')
        d++;
    return d && path[l + d] == '/' ? l + d + 1 : 0;
}

int xs_canonical(domid_t dom, const char *in, bool allow_special, char *out, size_t outlen)
{
    for (const char *p = in; *p; p++)
        if (!path_char_ok(*p))
            return -XEN_EINVAL;
    if (in[0] == '@' && !allow_special)
        return -XEN_EINVAL;
    size_t len;
    if (in[0] != '/' && in[0] != '@') {
        if (!dom) /* the core has no home directory */
            return -XEN_EINVAL;
        len = (size_t)hv_snprintf(out, outlen, "/local/domain/%u/%s", dom, in);
    } else {
        len = hv_strlcpy(out, in, outlen);
    }
    if (len >= outlen)
        return -XEN_EINVAL;
    if ((len > 1 && out[len - 1] == '/') || hv_strstr(out, "//") || len > XENSTORE_ABS_PATH_MAX)
        return -XEN_EINVAL;
    if (dom && len - local_prefix(out) > XENSTORE_REL_PATH_MAX)
        return -XEN_EINVAL;
    return 0;
}

const char *xs_parent(const char *path, char *out, size_t outlen)
{
    size_t cut = 0;
    for (size_t i = 1; path[0] && path[i]; i++)
        if (path[i] == '/')
            cut = i;
    if (!cut) /* "/", a top-level node and the specials: "/" */
        hv_strlcpy(out, "/", outlen);
    else
        hv_strlcpy(out, path, MIN(outlen, cut + 1));
    return out;
}

bool xs_is_child(const char *child, const char *parent)
{
    if (!hv_strcmp(parent, "/"))
        return true;
    size_t l = hv_strlen(parent);
    return !hv_strncmp(child, parent, l) && (child[l] == '/' || child[l] == '\0');
}

/* ---- permissions ---- */

unsigned int xs_perm_for(domid_t dom, const struct xs_perms *perms)
{
    if (dom == 0 || perms->p[0].id == dom)
        return XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER;
    for (unsigned int i = 1; i < perms->num; i++)
        if (perms->p[i].id == dom)
            return perms->p[i].perm;
    return perms->p[0].perm;
}

int xs_perm_from_char(char c)
{
    switch (c) {
    case 'n':
        return XS_PERM_NONE;
    case 'r':
        return XS_PERM_READ;
    case 'w':
        return XS_PERM_WRITE;
    case 'b':
        return XS_PERM_READ | XS_PERM_WRITE;
    default:
        return -1;
    }
}

/* Decimal only: xenstored's strtol(.., 0) would also take hex and octal. */
int xs_perms_parse(const char *s, unsigned int num, struct xs_perms *out)
{
    if (num < 1 || num > XS_MAX_PERMS)
        return -XEN_EINVAL;
    for (unsigned int i = 0; i < num; i++) {
        int perm = xs_perm_from_char(*s++);
        if (perm < 0 || !*s)
            return -XEN_EINVAL;
        uint64_t id = 0;
        for (; *s; s++) {
            if (*s < '0' || *s > '9')
                return -XEN_EINVAL;
            id = id * 10 + (uint64_t)(*s - '0');
            if (id > 0xffffffffu)
                return -XEN_EINVAL;
        }
        s++; /* the string's NUL */
        out->p[i].id = (uint32_t)id;
        out->p[i].perm = (uint8_t)perm;
    }
    out->num = (uint8_t)num;
    return 0;
}

int xs_perms_format(const struct xs_perms *perms, char *out, size_t outlen)
{
    static const char letter[4] = {'n', 'r', 'w', 'b'};
    size_t len = 0;
    for (unsigned int i = 0; i < perms->num; i++) {
        size_t room = outlen - len;
        int n = hv_snprintf(out + len, room, "%c%u", letter[perms->p[i].perm & 3], perms->p[i].id);
        if ((size_t)n + 1 > room)
            return -XEN_E2BIG;
        len += (size_t)n + 1; /* keep the NUL: each string is terminated */
    }
    return (int)len;
}
