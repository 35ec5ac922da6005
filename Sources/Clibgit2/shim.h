#include <git2.h>

/* git_libgit2_opts is variadic, which Swift cannot call; these give each option we use a fixed signature. */

static inline int worktrail_git_set_caching(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_CACHING, enabled);
}

static inline int worktrail_git_set_strict_hash_verification(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
}
