#include <zlib.h>

/* inflateInit is a macro, which Swift cannot call; this gives it a function to call. */

static inline int worktrail_inflate_init(z_streamp stream) {
    return inflateInit(stream);
}
