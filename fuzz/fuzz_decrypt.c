/*
 * fuzz_decrypt.c - TLS record decryption on any bytes.
 *
 * The input: a mode byte (which version, suite and MAC order), a key byte
 * (0: RFC 8448's server handshake traffic secret, so the corpus's real
 * record decrypts and the fuzzer mutates a record that verifies; else the
 * next 48 input bytes are the secret or the master secret: a wrong key),
 * then records, each a 5-byte header and as many bytes as its length says
 * or as are left (a cut record; the length may be forged).  A header of
 * type 0xff asks for a KeyUpdate.  Besides memory errors it checks the
 * contract: a plaintext is never longer than its record, nothing is
 * returned with a failure, the sequence advances exactly on success.
 * Built with libFuzzer (make fuzz) or fuzz/replay.c.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dissect/decrypt.h"
#include "lib/cbs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
    if (!ok)
        abort();
}

static const struct {
    uint16_t version, suite;
    bool etm;
} modes[] = {
    {0x0304, 0x1301, false}, {0x0304, 0x1302, false}, {0x0304, 0x1303, false},
    {0x0304, 0x1304, false}, {0x0304, 0x1305, false}, {0x0303, 0xC02F, false},
    {0x0303, 0xC030, false}, {0x0303, 0xCCA8, false}, {0x0303, 0xC0AC, false},
    {0x0303, 0xC013, false}, {0x0303, 0xC013, true},  {0x0303, 0xC028, false},
    {0x0302, 0x0035, false}, {0x0301, 0x002F, false}, {0x0301, 0x000A, true},
    {0x0303, 0x0005, false}, /* RC4: unsupported */
};

/* RFC 8448 §3, {server} derive secret "tls13 s hs traffic" */
static const uint8_t rfc8448_server_hs[32] = {
    0xb6, 0x7b, 0x7d, 0x69, 0x0c, 0xc1, 0x6c, 0x4e, 0x75, 0xe5, 0x42, 0x13, 0xcb, 0x2d, 0x37, 0xb4,
    0xe9, 0xc9, 0x12, 0xbc, 0xde, 0xd9, 0x10, 0x5d, 0x42, 0xbe, 0xfd, 0x59, 0xd3, 0x91, 0xad, 0x38};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[DECRYPT_MAX_RECORD + 64];
    uint8_t mode, keysel, secret[48] = {0}, cr[32] = {1}, sr[32] = {2};
    struct cbs in, key;
    struct decrypt *d;
    enum decrypt_result why;
    size_t m;

    cbs_init(&in, data, size);
    if (!cbs_get_u8(&in, &mode) || !cbs_get_u8(&in, &keysel))
        return 0;
    m = mode % (sizeof(modes) / sizeof(modes[0]));
    if (keysel == 0)
        memcpy(secret, rfc8448_server_hs, sizeof(rfc8448_server_hs));
    else if (cbs_get_bytes(&in, &key, 48))
        memcpy(secret, cbs_data(&key), 48);
    else
        return 0;
    if (modes[m].version == 0x0304)
        d = decrypt_new_tls13(modes[m].suite, secret, modes[m].suite == 0x1302 ? 48 : 32, &why);
    else
        d = decrypt_new_tls12(modes[m].version, modes[m].suite, secret, cr, sr, keysel & 1,
                              modes[m].etm, &why);
    check((d == NULL) == (why != DECRYPT_OK));
    if (d == NULL)
        return 0;
    while (cbs_len(&in) >= 5) {
        struct cbs hdr, body;
        uint16_t len;
        size_t outlen = 12345;
        uint8_t inner = 0;
        uint64_t seq = decrypt_seq(d);
        enum decrypt_result r;

        check(cbs_get_bytes(&in, &hdr, 5));
        len = (uint16_t)(cbs_data(&hdr)[3] << 8 | cbs_data(&hdr)[4]);
        if (cbs_data(&hdr)[0] == 0xff) {
            r = decrypt_key_update(d);
            check(r == DECRYPT_OK || modes[m].version != 0x0304);
            continue;
        }
        if (!cbs_get_bytes(&in, &body, len))
            check(cbs_get_bytes(&in, &body, cbs_len(&in)));   /* cut */
        r = decrypt_record(d, cbs_data(&hdr), cbs_data(&body), cbs_len(&body), out, &outlen,
                           &inner);
        if (r == DECRYPT_OK) {
            check(outlen <= cbs_len(&body) && decrypt_seq(d) == seq + 1);
            check(modes[m].version != 0x0304 || inner != 0);
        } else {
            check(outlen == 0 && decrypt_seq(d) == seq);
        }
    }
    decrypt_free(d);
    return 0;
}
