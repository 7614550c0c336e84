/* fuzz_range.c - the HTTP Range header of GET /media (rg_range_parse in
 * src/core/recfmt.c).
 *
 * Input: eight bytes of resource size (big-endian; its top bits shifted
 * away by a ninth byte, so small sizes are common), then the header's
 * value.  Checked: a satisfiable range lies inside the resource, an empty
 * resource has none, and no header means the whole resource. */
#include "core/recfmt.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    uint64_t total = 0, first = 0, last = 0;
    for (int i = 0; i < 8; i++)
        total = total << 8 | fz_byte(&in);
    total >>= fz_byte(&in) & 63;
    char *hdr = fz_strdup(in.p, in.n);

    rg_range_result rr = rg_range_parse(hdr, in.n, total, &first, &last);
    FZ_ASSERT(rr == RG_RANGE_NONE || rr == RG_RANGE_OK || rr == RG_RANGE_UNSATISFIABLE);
    if (rr == RG_RANGE_OK) FZ_ASSERT(total > 0 && first <= last && last < total);
    FZ_ASSERT(rg_range_parse(NULL, 0, total, &first, &last) == RG_RANGE_NONE);

    free(hdr);
    return 0;
}
