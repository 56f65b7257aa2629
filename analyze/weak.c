/*
 * weak.c - strength checks (see weak.h for the thresholds).
 *
 * Decisions:
 *  - One scale for every algorithm family: SP 800-57 Part 1 Table 2 gives
 *    80 bits of security for RSA/DSA/DH 1024 and EC 160, 112 bits for
 *    RSA/DSA/DH 2048 and EC 224.  Below 80 is high, below 112 medium.  So
 *    secp160r1 and sect163k1 are medium and secp112r1 would be high.
 *  - A trust anchor's own signature is not part of path validation (RFC 5280
 *    §6.1.1(d): the anchor is a name and a key), so no hash on a trust
 *    anchor or a self-signed root is weak.  A self-signed leaf is not a root:
 *    its SHA-1 is reported (a pin on it is the caller's is_trust_anchor).
 *  - Cipher suites are judged from their IANA names, token by token
 *    ("TLS_<kx>_WITH_<cipher>_<mac>", or "TLS_<aead>_<hash>" for TLS 1.3),
 *    so every suite the registry lists is covered by the same few rules
 *    instead of a per-suite table that could drift from the registry.  The
 *    CBC note is only added when the cipher itself is not already weak, so a
 *    3DES suite reads "3DES (64-bit block, Sweet32)" and not also "CBC".
 *  - Static DH/ECDH and RSA key transport (no forward secrecy) are not
 *    reported: neither is in the brief's classes and both are still common
 *    between MTAs; the findings table can add a class later.
 */
#include "analyze/weak.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509.h>

#include "analyze/findings.h"
#include "analyze/names.h"
#include "analyze/x509.h"
#include "dissect/tls.h"

/* ---------------------------------------------------------------- helpers */

/* set_reason copies |s| as snprintf("%s") would (cut at reason_len - 1):
 * the protocol and key exchange checks run on every session. */
static void set_reason(char *reason, size_t reason_len, const char *s)
{
    struct strbuf b;

    if (reason == NULL)
        return;
    strbuf_init(&b, reason, reason_len);
    strbuf_puts(&b, s);
}

static enum severity by_bits(int bits, int high_below, int medium_below)
{
    if (bits <= 0)
        return SEV_NONE;
    if (bits < high_below)
        return SEV_HIGH;
    if (bits < medium_below)
        return SEV_MEDIUM;
    return SEV_NONE;
}

/* ------------------------------------------------------------------- keys */

enum severity weak_key(const struct x509_info *xi, char *reason, size_t reason_len)
{
    char buf[160];
    enum severity sev = SEV_NONE;
    int lim;

    set_reason(reason, reason_len, "");
    if (xi == NULL || !xi->parsed || xi->key_alg == NULL || xi->key_bits <= 0)
        return SEV_NONE;
    if (strcmp(xi->key_alg, "RSA") == 0 || strcmp(xi->key_alg, "RSASSA-PSS") == 0 ||
        strcmp(xi->key_alg, "DSA") == 0 || strcmp(xi->key_alg, "DH") == 0) {
        sev = by_bits(xi->key_bits, 1024, 2048);
        lim = sev == SEV_HIGH ? 1024 : 2048;
        snprintf(buf, sizeof(buf), "%s key of %d bits (below %d)", xi->key_alg, xi->key_bits, lim);
    } else if (strcmp(xi->key_alg, "EC") == 0) {
        sev = by_bits(xi->key_bits, 160, 224);
        lim = sev == SEV_HIGH ? 160 : 224;
        if (xi->key_curve != NULL)
            snprintf(buf, sizeof(buf), "EC key of %d bits on %.64s (below %d)", xi->key_bits,
                     xi->key_curve, lim);
        else
            snprintf(buf, sizeof(buf), "EC key of %d bits (below %d)", xi->key_bits, lim);
    }
    /* ED25519, ED448 and the rest: fixed-size, no weak sizes to judge */
    if (sev != SEV_NONE)
        set_reason(reason, reason_len, buf);
    return sev;
}

/* ------------------------------------------------------------- signatures */

enum sig_hash { H_OTHER, H_MD2, H_MD4, H_MD5, H_SHA0, H_SHA1 };

static enum sig_hash hash_of_nid(int nid)
{
    switch (nid) {
    case NID_md2: return H_MD2;
    case NID_md4: return H_MD4;
    case NID_md5: return H_MD5;
    case NID_sha: return H_SHA0;
    case NID_sha1: return H_SHA1;
    default: return H_OTHER;
    }
}

/* hash_of_name reads the hash out of an algorithm name such as
 * "md5WithRSAEncryption", "ecdsa-with-SHA1" or "dsaWithSHA1", for
 * certificates we only have the text of. */
static enum sig_hash hash_of_name(const char *name)
{
    char low[128];
    size_t i;

    for (i = 0; name[i] != '\0' && i < sizeof(low) - 1; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    low[i] = '\0';
    if (strstr(low, "md2") != NULL)
        return H_MD2;
    if (strstr(low, "md4") != NULL)
        return H_MD4;
    if (strstr(low, "md5") != NULL)
        return H_MD5;
    if (strstr(low, "sha1") != NULL || strstr(low, "sha-1") != NULL)
        return H_SHA1;
    if (strncmp(low, "shawith", 7) == 0)  /* shaWithRSAEncryption: SHA-0 */
        return H_SHA0;
    return H_OTHER;
}

enum severity weak_signature(const struct x509_info *xi, bool is_trust_anchor, char *reason,
                             size_t reason_len)
{
    enum sig_hash h = H_OTHER;
    const char *alg, *hname;
    enum severity sev;
    char buf[200];
    int mdnid = NID_undef;

    set_reason(reason, reason_len, "");
    if (xi == NULL || !xi->parsed)
        return SEV_NONE;
    if (is_trust_anchor || (xi->self_signed && (xi->is_ca || xi->version == 1)))
        return SEV_NONE;
    if (xi->x509 != NULL && X509_get_signature_info((X509 *)xi->x509, &mdnid, NULL, NULL, NULL))
        h = hash_of_nid(mdnid);
    else if (xi->sig_alg != NULL)
        h = hash_of_name(xi->sig_alg);
    switch (h) {
    case H_MD2: hname = "MD2"; sev = SEV_HIGH; break;
    case H_MD4: hname = "MD4"; sev = SEV_HIGH; break;
    case H_MD5: hname = "MD5"; sev = SEV_HIGH; break;
    case H_SHA0: hname = "SHA-0"; sev = SEV_HIGH; break;
    case H_SHA1: hname = "SHA-1"; sev = SEV_MEDIUM; break;
    default: return SEV_NONE;
    }
    alg = xi->sig_alg != NULL ? xi->sig_alg : "?";
    snprintf(buf, sizeof(buf), "signed with %s (%.100s)", hname, alg);
    set_reason(reason, reason_len, buf);
    return sev;
}

/* ----------------------------------------------------------- key exchange */

enum severity weak_dh(const struct tls_key_exchange *kx, char *reason, size_t reason_len)
{
    char buf[160];
    enum severity sev = SEV_NONE;
    const char *gname;
    int bits;

    set_reason(reason, reason_len, "");
    if (kx == NULL || kx->bits == 0 || kx->bits > 1000000)
        return SEV_NONE;
    bits = (int)kx->bits;
    /* the reason is formatted only for a finding: most sessions have none */
    switch (kx->kind) {
    case TLS_KX_DHE:
        if ((sev = by_bits(bits, 1024, 2048)) == SEV_NONE)
            return SEV_NONE;
        snprintf(buf, sizeof(buf), "DH group of %d bits (below %d)", bits,
                 sev == SEV_HIGH ? 1024 : 2048);
        break;
    case TLS_KX_ECDHE:
        sev = by_bits(bits, 160, 224);
        if (sev == SEV_NONE && kx->group != 0)
            return SEV_NONE;
        gname = kx->group != 0 ? names_group(kx->group) : NULL;
        if (kx->group == 0) {
            /* group 0 is no named curve: the parameters were explicit */
            if (sev == SEV_NONE) {
                sev = SEV_LOW;
                snprintf(buf, sizeof(buf),
                         "explicit curve parameters of %d bits (deprecated by RFC 8422)", bits);
            } else {
                snprintf(buf, sizeof(buf), "explicit curve of %d bits (below %d)", bits,
                         sev == SEV_HIGH ? 160 : 224);
            }
        } else if (gname != NULL) {
            snprintf(buf, sizeof(buf), "curve %s of %d bits (below %d)", gname, bits,
                     sev == SEV_HIGH ? 160 : 224);
        } else {
            snprintf(buf, sizeof(buf), "curve 0x%04X of %d bits (below %d)", kx->group, bits,
                     sev == SEV_HIGH ? 160 : 224);
        }
        break;
    default:
        return SEV_NONE;
    }
    if (sev != SEV_NONE)
        set_reason(reason, reason_len, buf);
    return sev;
}

/* --------------------------------------------------------------- protocol */

enum severity weak_protocol(uint16_t version, char *reason, size_t reason_len)
{
    set_reason(reason, reason_len, "");
    switch (version) {
    case 0x0002:
    case 0x0200:
        set_reason(reason, reason_len, "SSL 2.0 (prohibited by RFC 6176)");
        return SEV_HIGH;
    case 0x0300:
        set_reason(reason, reason_len, "SSL 3.0 (prohibited by RFC 7568)");
        return SEV_HIGH;
    case 0x0301:
        set_reason(reason, reason_len, "TLS 1.0 (deprecated by RFC 8996)");
        return SEV_MEDIUM;
    case 0x0302:
        set_reason(reason, reason_len, "TLS 1.1 (deprecated by RFC 8996)");
        return SEV_MEDIUM;
    case 0xFEFF:
        set_reason(reason, reason_len, "DTLS 1.0 (deprecated by RFC 8996)");
        return SEV_MEDIUM;
    default:
        return SEV_NONE;
    }
}

/* ---------------------------------------------------------- cipher suites */

struct suite_name {
    uint16_t id;
    const char *name;
};

/* IANA TLS Cipher Suites registry entries missing from names_cipher's table
 * (which comes from what OpenSSL 3 still builds).  Sorted by id.  The
 * 0x0060-0x0066 and 0xFEFE-0xFEFF rows are "reserved to avoid conflicts with
 * widely deployed implementations": the names are those implementations'
 * (draft-ietf-tls-56-bit-ciphersuites, Netscape's FIPS suites). */
static const struct suite_name extra_suites[] = {
    {0x001E, "TLS_KRB5_WITH_DES_CBC_SHA"},
    {0x001F, "TLS_KRB5_WITH_3DES_EDE_CBC_SHA"},
    {0x0020, "TLS_KRB5_WITH_RC4_128_SHA"},
    {0x0021, "TLS_KRB5_WITH_IDEA_CBC_SHA"},
    {0x0022, "TLS_KRB5_WITH_DES_CBC_MD5"},
    {0x0023, "TLS_KRB5_WITH_3DES_EDE_CBC_MD5"},
    {0x0024, "TLS_KRB5_WITH_RC4_128_MD5"},
    {0x0025, "TLS_KRB5_WITH_IDEA_CBC_MD5"},
    {0x0026, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_SHA"},
    {0x0027, "TLS_KRB5_EXPORT_WITH_RC2_CBC_40_SHA"},
    {0x0028, "TLS_KRB5_EXPORT_WITH_RC4_40_SHA"},
    {0x0029, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_MD5"},
    {0x002A, "TLS_KRB5_EXPORT_WITH_RC2_CBC_40_MD5"},
    {0x002B, "TLS_KRB5_EXPORT_WITH_RC4_40_MD5"},
    {0x003E, "TLS_DH_DSS_WITH_AES_128_CBC_SHA256"},
    {0x003F, "TLS_DH_RSA_WITH_AES_128_CBC_SHA256"},
    {0x0042, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA"},
    {0x0043, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA"},
    {0x0060, "TLS_RSA_EXPORT1024_WITH_RC4_56_MD5"},
    {0x0061, "TLS_RSA_EXPORT1024_WITH_RC2_CBC_56_MD5"},
    {0x0062, "TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA"},
    {0x0063, "TLS_DHE_DSS_EXPORT1024_WITH_DES_CBC_SHA"},
    {0x0064, "TLS_RSA_EXPORT1024_WITH_RC4_56_SHA"},
    {0x0065, "TLS_DHE_DSS_EXPORT1024_WITH_RC4_56_SHA"},
    {0x0066, "TLS_DHE_DSS_WITH_RC4_128_SHA"},
    {0x0068, "TLS_DH_DSS_WITH_AES_256_CBC_SHA256"},
    {0x0069, "TLS_DH_RSA_WITH_AES_256_CBC_SHA256"},
    {0x0085, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA"},
    {0x0086, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA"},
    {0x008B, "TLS_PSK_WITH_3DES_EDE_CBC_SHA"},
    {0x008F, "TLS_DHE_PSK_WITH_3DES_EDE_CBC_SHA"},
    {0x0093, "TLS_RSA_PSK_WITH_3DES_EDE_CBC_SHA"},
    {0x0096, "TLS_RSA_WITH_SEED_CBC_SHA"},
    {0x0097, "TLS_DH_DSS_WITH_SEED_CBC_SHA"},
    {0x0098, "TLS_DH_RSA_WITH_SEED_CBC_SHA"},
    {0x0099, "TLS_DHE_DSS_WITH_SEED_CBC_SHA"},
    {0x009A, "TLS_DHE_RSA_WITH_SEED_CBC_SHA"},
    {0x009B, "TLS_DH_anon_WITH_SEED_CBC_SHA"},
    {0x00A0, "TLS_DH_RSA_WITH_AES_128_GCM_SHA256"},
    {0x00A1, "TLS_DH_RSA_WITH_AES_256_GCM_SHA384"},
    {0x00A4, "TLS_DH_DSS_WITH_AES_128_GCM_SHA256"},
    {0x00A5, "TLS_DH_DSS_WITH_AES_256_GCM_SHA384"},
    {0x00BB, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA256"},
    {0x00BC, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
    {0x00C1, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA256"},
    {0x00C2, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
    {0x00C6, "TLS_SM4_GCM_SM3"},
    {0x00C7, "TLS_SM4_CCM_SM3"},
    {0x1304, "TLS_AES_128_CCM_SHA256"},
    {0x1305, "TLS_AES_128_CCM_8_SHA256"},
    {0x1306, "TLS_AEGIS_256_SHA512"},
    {0x1307, "TLS_AEGIS_128L_SHA256"},
    {0xC01A, "TLS_SRP_SHA_WITH_3DES_EDE_CBC_SHA"},
    {0xC01B, "TLS_SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0xC01C, "TLS_SRP_SHA_DSS_WITH_3DES_EDE_CBC_SHA"},
    {0xC025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256"},
    {0xC026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384"},
    {0xC029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256"},
    {0xC02A, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384"},
    {0xC02D, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256"},
    {0xC02E, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384"},
    {0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256"},
    {0xC032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384"},
    {0xC034, "TLS_ECDHE_PSK_WITH_3DES_EDE_CBC_SHA"},
    {0xC03C, "TLS_RSA_WITH_ARIA_128_CBC_SHA256"},
    {0xC03D, "TLS_RSA_WITH_ARIA_256_CBC_SHA384"},
    {0xC03E, "TLS_DH_DSS_WITH_ARIA_128_CBC_SHA256"},
    {0xC03F, "TLS_DH_DSS_WITH_ARIA_256_CBC_SHA384"},
    {0xC040, "TLS_DH_RSA_WITH_ARIA_128_CBC_SHA256"},
    {0xC041, "TLS_DH_RSA_WITH_ARIA_256_CBC_SHA384"},
    {0xC042, "TLS_DHE_DSS_WITH_ARIA_128_CBC_SHA256"},
    {0xC043, "TLS_DHE_DSS_WITH_ARIA_256_CBC_SHA384"},
    {0xC044, "TLS_DHE_RSA_WITH_ARIA_128_CBC_SHA256"},
    {0xC045, "TLS_DHE_RSA_WITH_ARIA_256_CBC_SHA384"},
    {0xC046, "TLS_DH_anon_WITH_ARIA_128_CBC_SHA256"},
    {0xC047, "TLS_DH_anon_WITH_ARIA_256_CBC_SHA384"},
    {0xC048, "TLS_ECDHE_ECDSA_WITH_ARIA_128_CBC_SHA256"},
    {0xC049, "TLS_ECDHE_ECDSA_WITH_ARIA_256_CBC_SHA384"},
    {0xC04A, "TLS_ECDH_ECDSA_WITH_ARIA_128_CBC_SHA256"},
    {0xC04B, "TLS_ECDH_ECDSA_WITH_ARIA_256_CBC_SHA384"},
    {0xC04C, "TLS_ECDHE_RSA_WITH_ARIA_128_CBC_SHA256"},
    {0xC04D, "TLS_ECDHE_RSA_WITH_ARIA_256_CBC_SHA384"},
    {0xC04E, "TLS_ECDH_RSA_WITH_ARIA_128_CBC_SHA256"},
    {0xC04F, "TLS_ECDH_RSA_WITH_ARIA_256_CBC_SHA384"},
    {0xC054, "TLS_DH_RSA_WITH_ARIA_128_GCM_SHA256"},
    {0xC055, "TLS_DH_RSA_WITH_ARIA_256_GCM_SHA384"},
    {0xC058, "TLS_DH_DSS_WITH_ARIA_128_GCM_SHA256"},
    {0xC059, "TLS_DH_DSS_WITH_ARIA_256_GCM_SHA384"},
    {0xC05A, "TLS_DH_anon_WITH_ARIA_128_GCM_SHA256"},
    {0xC05B, "TLS_DH_anon_WITH_ARIA_256_GCM_SHA384"},
    {0xC05E, "TLS_ECDH_ECDSA_WITH_ARIA_128_GCM_SHA256"},
    {0xC05F, "TLS_ECDH_ECDSA_WITH_ARIA_256_GCM_SHA384"},
    {0xC062, "TLS_ECDH_RSA_WITH_ARIA_128_GCM_SHA256"},
    {0xC063, "TLS_ECDH_RSA_WITH_ARIA_256_GCM_SHA384"},
    {0xC064, "TLS_PSK_WITH_ARIA_128_CBC_SHA256"},
    {0xC065, "TLS_PSK_WITH_ARIA_256_CBC_SHA384"},
    {0xC066, "TLS_DHE_PSK_WITH_ARIA_128_CBC_SHA256"},
    {0xC067, "TLS_DHE_PSK_WITH_ARIA_256_CBC_SHA384"},
    {0xC068, "TLS_RSA_PSK_WITH_ARIA_128_CBC_SHA256"},
    {0xC069, "TLS_RSA_PSK_WITH_ARIA_256_CBC_SHA384"},
    {0xC070, "TLS_ECDHE_PSK_WITH_ARIA_128_CBC_SHA256"},
    {0xC071, "TLS_ECDHE_PSK_WITH_ARIA_256_CBC_SHA384"},
    {0xC074, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"},
    {0xC075, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"},
    {0xC078, "TLS_ECDH_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
    {0xC079, "TLS_ECDH_RSA_WITH_CAMELLIA_256_CBC_SHA384"},
    {0xC07A, "TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xC07B, "TLS_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xC07C, "TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xC07D, "TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xC07E, "TLS_DH_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xC07F, "TLS_DH_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xC080, "TLS_DHE_DSS_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xC081, "TLS_DHE_DSS_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xC082, "TLS_DH_DSS_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xC083, "TLS_DH_DSS_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xC084, "TLS_DH_anon_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xC085, "TLS_DH_anon_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xC086, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xC087, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xC088, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xC089, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xC08A, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xC08B, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xC08C, "TLS_ECDH_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xC08D, "TLS_ECDH_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xC08E, "TLS_PSK_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xC08F, "TLS_PSK_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xC090, "TLS_DHE_PSK_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xC091, "TLS_DHE_PSK_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xC092, "TLS_RSA_PSK_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xC093, "TLS_RSA_PSK_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xC0B0, "TLS_ECCPWD_WITH_AES_128_GCM_SHA256"},
    {0xC0B1, "TLS_ECCPWD_WITH_AES_256_GCM_SHA384"},
    {0xC0B2, "TLS_ECCPWD_WITH_AES_128_CCM_SHA256"},
    {0xC0B3, "TLS_ECCPWD_WITH_AES_256_CCM_SHA384"},
    {0xC0B4, "TLS_SHA256_SHA256"},
    {0xC0B5, "TLS_SHA384_SHA384"},
    {0xC100, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_CTR_OMAC"},
    {0xC101, "TLS_GOSTR341112_256_WITH_MAGMA_CTR_OMAC"},
    {0xC102, "TLS_GOSTR341112_256_WITH_28147_CNT_IMIT"},
    {0xC103, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_L"},
    {0xC104, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_L"},
    {0xC105, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_S"},
    {0xC106, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_S"},
    {0xD001, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256"},
    {0xD002, "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384"},
    {0xD003, "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256"},
    {0xD005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256"},
    {0xFEFE, "SSL_RSA_FIPS_WITH_DES_CBC_SHA"},
    {0xFEFF, "SSL_RSA_FIPS_WITH_3DES_EDE_CBC_SHA"},
};

const char *weak_cipher_name(uint16_t suite)
{
    const char *n = names_cipher(suite);
    size_t lo = 0, hi = sizeof(extra_suites) / sizeof(extra_suites[0]);

    if (n != NULL)
        return n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (extra_suites[mid].id == suite)
            return extra_suites[mid].name;
        if (extra_suites[mid].id < suite)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

#define MAX_TOKENS 16

struct tokens {
    char buf[128];
    const char *t[MAX_TOKENS];
    size_t n;
};

/* split cuts |name| at '_' into |tk| (at most MAX_TOKENS; IANA names have
 * at most 9). */
static void split(const char *name, struct tokens *tk)
{
    char *p, *save = NULL;

    snprintf(tk->buf, sizeof(tk->buf), "%s", name);
    tk->n = 0;
    for (p = strtok_r(tk->buf, "_", &save); p != NULL && tk->n < MAX_TOKENS;
         p = strtok_r(NULL, "_", &save))
        tk->t[tk->n++] = p;
}

static bool tok_is(const struct tokens *tk, size_t i, const char *s)
{
    return i < tk->n && strcmp(tk->t[i], s) == 0;
}

struct verdict {
    enum severity sev;
    const char *why[8];
    enum severity whysev[8];
    size_t n;
};

static void add(struct verdict *v, enum severity sev, const char *why)
{
    if (v->n < sizeof(v->why) / sizeof(v->why[0])) {
        v->why[v->n] = why;
        v->whysev[v->n] = sev;
        v->n++;
    }
    if (sev > v->sev)
        v->sev = sev;
}

enum severity weak_cipher(uint16_t suite, char *reason, size_t reason_len)
{
    const char *name = weak_cipher_name(suite);
    struct tokens tk;
    struct verdict v;
    size_t i, with = 0, first;   /* first: index of the first cipher token */
    bool has_with = false, cipher_weak = false;

    set_reason(reason, reason_len, "");
    if (name == NULL)
        return SEV_NONE;
    split(name, &tk);
    memset(&v, 0, sizeof(v));
    for (i = 0; i < tk.n; i++) {
        if (tok_is(&tk, i, "SCSV"))
            return SEV_NONE;     /* a signal, never a negotiated suite */
        if (!has_with && tok_is(&tk, i, "WITH")) {
            has_with = true;
            with = i;
        }
    }
    first = has_with ? with + 1 : 1;   /* skip "TLS"/"SSL" */

    /* key exchange: "TLS_<kx>_WITH_..." */
    if (has_with) {
        for (i = 1; i < with; i++) {
            if (tok_is(&tk, i, "anon"))
                add(&v, SEV_HIGH, "anonymous key exchange (server not authenticated)");
            else if (strncmp(tk.t[i], "EXPORT", 6) == 0)
                add(&v, SEV_HIGH, "export-grade cryptography");
            else if (i == 1 && tok_is(&tk, i, "NULL"))
                add(&v, SEV_HIGH, "no authentication");
        }
    }

    /* bulk cipher and MAC */
    if (tok_is(&tk, first, "NULL")) {
        add(&v, SEV_HIGH, "no encryption (NULL cipher)");
        cipher_weak = true;
    } else if (!has_with && (tok_is(&tk, first, "SHA256") || tok_is(&tk, first, "SHA384"))) {
        add(&v, SEV_HIGH, "no encryption (integrity-only suite, RFC 9150)");
        cipher_weak = true;
    }
    for (i = first; i < tk.n; i++) {
        const char *t = tk.t[i];

        if (strcmp(t, "RC4") == 0)
            add(&v, SEV_MEDIUM, "RC4 (prohibited by RFC 7465)");
        else if (strcmp(t, "DES") == 0 || strcmp(t, "DES40") == 0)
            add(&v, SEV_MEDIUM, "single DES (56-bit key or less)");
        else if (strcmp(t, "3DES") == 0)
            add(&v, SEV_MEDIUM, "3DES (64-bit block, Sweet32)");
        else if (strcmp(t, "IDEA") == 0)
            add(&v, SEV_MEDIUM, "IDEA (64-bit block)");
        else if (strcmp(t, "RC2") == 0)
            add(&v, SEV_MEDIUM, "RC2 (64-bit block)");
        else if (strcmp(t, "28147") == 0 || strcmp(t, "MAGMA") == 0)
            add(&v, SEV_MEDIUM, "GOST 64-bit block cipher (Sweet32)");
        else
            continue;
        cipher_weak = true;
    }
    if (!cipher_weak && has_with) {
        bool cbc = false;

        for (i = first; i < tk.n; i++)
            cbc = cbc || strcmp(tk.t[i], "CBC") == 0;
        if (cbc && tok_is(&tk, tk.n - 1, "SHA"))
            add(&v, SEV_LOW, "CBC mode with HMAC-SHA1 (no AEAD)");
        else if (cbc && tok_is(&tk, tk.n - 1, "MD5"))
            add(&v, SEV_LOW, "CBC mode with HMAC-MD5 (no AEAD)");
    }

    if (v.sev != SEV_NONE && reason != NULL && reason_len > 0) {
        size_t len = 0;
        int s;

        /* worst first, in rule order within a severity */
        for (s = SEV_CRITICAL; s > SEV_NONE; s--) {
            for (i = 0; i < v.n; i++) {
                if ((int)v.whysev[i] != s)
                    continue;
                int w = snprintf(reason + len, reason_len - len, "%s%s", len ? ", " : "",
                                 v.why[i]);
                if (w < 0 || (size_t)w >= reason_len - len) {
                    len = reason_len - 1;
                    break;
                }
                len += (size_t)w;
            }
        }
    }
    return v.sev;
}
