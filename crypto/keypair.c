/* keypair.c — Ed25519 identities and their key files, over libsodium.
 *
 * Implements keypair.h. The secret key (libsodium's 64-byte seed || public
 * form) lives in sodium_malloc'd memory made read-only once set, so a stray
 * write faults and sodium_free wipes it. Key files are read into
 * sodium_malloc'd memory too, checked for mode, size and magic before any
 * byte is trusted, and the Argon2id cost a sealed file asks for is bounded by
 * libsodium's SENSITIVE limits (1 GiB) so a hostile file cannot ask for more.
 * New files are sealed at libsodium's MODERATE limits (SEAL_OPSLIMIT,
 * SEAL_MEMLIMIT: 3 passes over 256 MiB); the limits are in each file's
 * header, so files sealed at the INTERACTIVE limits of earlier versions still
 * open, and rsn_keyfile_sealing tells they are weaker.
 * Files are written O_EXCL with mode 0600, fsynced with their folder, and
 * removed again on any failure so a half-written key never stays behind. */
#include "crypto/keypair.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/log.h"

#define SEED_BYTES 32
#define MAGIC "RSNKEY1"
#define MAGIC_LEN 7
#define KIND_PLAIN 0x00
#define KIND_SEALED 0x01
#define PLAIN_SIZE 72
#define SEALED_SIZE 144

/* offsets in a key file */
#define OFF_KIND 7
#define OFF_PLAIN_SEED 8
#define OFF_PLAIN_PK 40
#define OFF_SALT 8
#define OFF_OPSLIMIT 24
#define OFF_MEMLIMIT 32
#define OFF_NONCE 40
#define OFF_BOX 64
#define BOX_PLAIN_LEN (SEED_BYTES + RSN_KEY_BYTES)
#define SEAL_OPSLIMIT crypto_pwhash_OPSLIMIT_MODERATE
#define SEAL_MEMLIMIT crypto_pwhash_MEMLIMIT_MODERATE

struct rsn_keypair {
    uint8_t *sk; /* 64 bytes, sodium_malloc, read-only */
    uint8_t pk[RSN_KEY_BYTES];
};

/* A keypair holding the keys of SEED; NULL when secure memory runs out. */
static rsn_keypair_t *from_seed(const uint8_t seed[SEED_BYTES])
{
    rsn_keypair_t *self = calloc(1, sizeof *self);

    if (self == NULL) {
        return NULL;
    }
    self->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    if (self->sk == NULL) {
        free(self);
        return NULL;
    }
    if (crypto_sign_seed_keypair(self->pk, self->sk, seed) != 0) {
        sodium_free(self->sk);
        free(self);
        return NULL;
    }
    sodium_mprotect_readonly(self->sk);
    return self;
}

rsn_keypair_t *rsn_keypair_generate(void)
{
    uint8_t *seed = sodium_malloc(SEED_BYTES);
    rsn_keypair_t *self;

    if (seed == NULL) {
        return NULL;
    }
    randombytes_buf(seed, SEED_BYTES);
    self = from_seed(seed);
    sodium_free(seed);
    return self;
}

rsn_keypair_t *rsn_keypair_from_seed(const uint8_t seed[32])
{
    return from_seed(seed);
}

void rsn_keypair_destroy(rsn_keypair_t **self_p)
{
    rsn_keypair_t *self;

    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    self = *self_p;
    sodium_free(self->sk); /* makes it writable, wipes and unmaps */
    sodium_memzero(self, sizeof *self);
    free(self);
    *self_p = NULL;
}

const uint8_t *rsn_keypair_public(const rsn_keypair_t *self)
{
    return self->pk;
}

int rsn_keypair_sign(const rsn_keypair_t *self, const uint8_t *msg, size_t len,
                     uint8_t sig[RSN_SIG_BYTES])
{
    if (self == NULL || (msg == NULL && len > 0)) {
        return RSN_ERR_INVALID_ARG;
    }
    if (crypto_sign_detached(sig, NULL, msg, len, self->sk) != 0) {
        return RSN_ERR_CRYPTO;
    }
    return 0;
}

int rsn_keypair_sign_entry(const rsn_keypair_t *self, const uint8_t *entry, size_t len,
                           uint8_t sig[RSN_SIG_BYTES])
{
    uint8_t buf[RSN_ENTRY_SIGNED_MAX];

    /* an entry longer than any verifier accepts is refused, not signed */
    if (len > RSN_ENTRY_MAX) {
        return RSN_ERR_TOO_LARGE;
    }
    if (self == NULL || (entry == NULL && len > 0)) {
        return RSN_ERR_INVALID_ARG;
    }
    memcpy(buf, RSN_ENTRY_SIGN_PREFIX, RSN_ENTRY_SIGN_PREFIX_LEN); /* NUL included */
    if (len > 0) {
        memcpy(buf + RSN_ENTRY_SIGN_PREFIX_LEN, entry, len);
    }
    if (crypto_sign_detached(sig, NULL, buf, RSN_ENTRY_SIGN_PREFIX_LEN + len, self->sk) != 0) {
        return RSN_ERR_CRYPTO;
    }
    return 0;
}

int rsn_curve_public(uint8_t out[RSN_KEY_BYTES], const uint8_t ed25519_pk[RSN_KEY_BYTES])
{
    if (crypto_sign_ed25519_pk_to_curve25519(out, ed25519_pk) != 0) {
        return RSN_ERR_CRYPTO;
    }
    return 0;
}

int rsn_keypair_curve_secret(const rsn_keypair_t *self, uint8_t *out)
{
    if (self == NULL || out == NULL) {
        return RSN_ERR_INVALID_ARG;
    }
    if (crypto_sign_ed25519_sk_to_curve25519(out, self->sk) != 0) {
        return RSN_ERR_CRYPTO;
    }
    return 0;
}

void *rsn_secure_alloc(size_t len)
{
    return sodium_malloc(len);
}

void rsn_secure_free(void *ptr)
{
    sodium_free(ptr);
}

/* --- key files ------------------------------------------------------------ */

static void put_u64le(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get_u64le(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* Reads the key file at PATH into *OUT (SEALED_SIZE bytes of sodium_malloc'd
 * memory the caller frees with sodium_free) after checking its mode, size and
 * magic; *SEALED tells which form it is. 0 or a keypair.h load error. */
static int read_keyfile(const char *path, uint8_t **out, bool *sealed)
{
    uint8_t *buf = NULL;
    struct stat st;
    size_t size;
    size_t got = 0;
    int fd = -1;
    int rc = RSN_ERR_IO;

    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        rc = (errno == ENOENT || errno == ENOTDIR) ? RSN_ERR_NOT_FOUND : RSN_ERR_IO;
        if (rc == RSN_ERR_IO) {
            rsn_warn("key file %s: %s", path, strerror(errno));
        }
        goto out;
    }
    if (fstat(fd, &st) != 0) {
        rsn_warn("key file %s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = RSN_ERR_BAD_KEYFILE;
        goto out;
    }
    if ((st.st_mode & 0077) != 0) {
        rsn_warn("key file %s: group or others may access it (mode %04o); chmod 600", path,
                 (unsigned)(st.st_mode & 07777));
        rc = RSN_ERR_PERMISSION;
        goto out;
    }
    if (st.st_size != PLAIN_SIZE && st.st_size != SEALED_SIZE) {
        rc = RSN_ERR_BAD_KEYFILE;
        goto out;
    }
    size = (size_t)st.st_size;
    /* one byte more than the largest form, to notice a file that grew */
    buf = sodium_malloc(SEALED_SIZE + 1);
    if (buf == NULL) {
        rc = RSN_ERR_NOMEM;
        goto out;
    }
    while (got < SEALED_SIZE + 1) {
        ssize_t n = read(fd, buf + got, SEALED_SIZE + 1 - got);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            rsn_warn("key file %s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0) {
            break;
        }
        got += (size_t)n;
    }
    if (got != size || memcmp(buf, MAGIC, MAGIC_LEN) != 0 ||
        !((buf[OFF_KIND] == KIND_PLAIN && size == PLAIN_SIZE) ||
          (buf[OFF_KIND] == KIND_SEALED && size == SEALED_SIZE))) {
        rc = RSN_ERR_BAD_KEYFILE;
        goto out;
    }
    *sealed = buf[OFF_KIND] == KIND_SEALED;
    *out = buf;
    buf = NULL;
    rc = 0;
out:
    if (buf != NULL) {
        sodium_free(buf);
    }
    if (fd >= 0) {
        close(fd);
    }
    return rc;
}

int rsn_keyfile_is_sealed(const char *path, bool *sealed)
{
    uint8_t *buf = NULL;
    int rc;

    if (path == NULL || sealed == NULL) {
        return RSN_ERR_INVALID_ARG;
    }
    rc = read_keyfile(path, &buf, sealed);
    if (buf != NULL) {
        sodium_free(buf);
    }
    return rc;
}

int rsn_keyfile_sealing(const char *path, rsn_keyfile_sealing_t *out)
{
    uint8_t *buf = NULL;
    bool sealed = false;

    if (path == NULL || out == NULL) {
        return RSN_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    int rc = read_keyfile(path, &buf, &sealed);
    if (rc == 0 && sealed) {
        out->sealed = true;
        out->opslimit = get_u64le(buf + OFF_OPSLIMIT);
        out->memlimit = get_u64le(buf + OFF_MEMLIMIT);
        out->weak = out->opslimit < SEAL_OPSLIMIT || out->memlimit < SEAL_MEMLIMIT;
        out->seal_opslimit = SEAL_OPSLIMIT;
        out->seal_memlimit = SEAL_MEMLIMIT;
    }
    if (buf != NULL) {
        sodium_free(buf);
    }
    return rc;
}

/* Derives the 32-byte secretbox key of PASSPHRASE into KEY. */
static int derive_key(uint8_t key[crypto_secretbox_KEYBYTES], const char *passphrase,
                      const uint8_t salt[crypto_pwhash_SALTBYTES], uint64_t opslimit,
                      uint64_t memlimit)
{
    if (crypto_pwhash(key, crypto_secretbox_KEYBYTES, passphrase, strlen(passphrase), salt,
                      opslimit, (size_t)memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        rsn_warn("crypto_pwhash failed (out of memory?)");
        return RSN_ERR_NOMEM;
    }
    return 0;
}

int rsn_keypair_load(rsn_keypair_t **out, const char *path, const char *passphrase)
{
    uint8_t *buf = NULL;
    uint8_t *key = NULL;
    uint8_t *plain = NULL;
    uint8_t *sk = NULL;
    uint8_t pk[RSN_KEY_BYTES];
    const uint8_t *seed;
    const uint8_t *stored_pk;
    bool sealed = false;
    rsn_keypair_t *self = NULL;
    int rc;

    if (out == NULL || path == NULL) {
        return RSN_ERR_INVALID_ARG;
    }
    *out = NULL;
    rc = read_keyfile(path, &buf, &sealed);
    if (rc != 0) {
        goto out;
    }
    if (!sealed) {
        seed = buf + OFF_PLAIN_SEED;
        stored_pk = buf + OFF_PLAIN_PK;
    } else {
        uint64_t opslimit = get_u64le(buf + OFF_OPSLIMIT);
        uint64_t memlimit = get_u64le(buf + OFF_MEMLIMIT);

        /* the cost comes from the file: bound it before spending it */
        if (opslimit < crypto_pwhash_OPSLIMIT_MIN || opslimit > crypto_pwhash_OPSLIMIT_SENSITIVE ||
            memlimit < crypto_pwhash_MEMLIMIT_MIN || memlimit > crypto_pwhash_MEMLIMIT_SENSITIVE) {
            rc = RSN_ERR_BAD_KEYFILE;
            goto out;
        }
        if (passphrase == NULL) {
            rc = RSN_ERR_PASSPHRASE;
            goto out;
        }
        key = sodium_malloc(crypto_secretbox_KEYBYTES);
        plain = sodium_malloc(BOX_PLAIN_LEN);
        if (key == NULL || plain == NULL) {
            rc = RSN_ERR_NOMEM;
            goto out;
        }
        rc = derive_key(key, passphrase, buf + OFF_SALT, opslimit, memlimit);
        if (rc != 0) {
            goto out;
        }
        if (crypto_secretbox_open_easy(plain, buf + OFF_BOX,
                                       BOX_PLAIN_LEN + crypto_secretbox_MACBYTES, buf + OFF_NONCE,
                                       key) != 0) {
            rc = RSN_ERR_PASSPHRASE;
            goto out;
        }
        seed = plain;
        stored_pk = plain + SEED_BYTES;
    }
    sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    if (sk == NULL) {
        rc = RSN_ERR_NOMEM;
        goto out;
    }
    if (crypto_sign_seed_keypair(pk, sk, seed) != 0 ||
        sodium_memcmp(pk, stored_pk, RSN_KEY_BYTES) != 0) {
        rc = RSN_ERR_BAD_KEYFILE;
        goto out;
    }
    self = calloc(1, sizeof *self);
    if (self == NULL) {
        rc = RSN_ERR_NOMEM;
        goto out;
    }
    sodium_mprotect_readonly(sk);
    self->sk = sk;
    sk = NULL;
    memcpy(self->pk, pk, RSN_KEY_BYTES);
    *out = self;
    rc = 0;
out:
    if (sk != NULL) {
        sodium_free(sk);
    }
    if (plain != NULL) {
        sodium_free(plain);
    }
    if (key != NULL) {
        sodium_free(key);
    }
    if (buf != NULL) {
        sodium_free(buf);
    }
    return rc;
}

/* Fills BUF with the file form of SELF; *LEN gets its size. */
static int encode_keyfile(const rsn_keypair_t *self, const char *passphrase, uint8_t *buf,
                          size_t *len)
{
    uint8_t *key = NULL;
    int rc = 0;

    memcpy(buf, MAGIC, MAGIC_LEN);
    if (passphrase == NULL) {
        buf[OFF_KIND] = KIND_PLAIN;
        /* libsodium's secret key is seed || public key */
        memcpy(buf + OFF_PLAIN_SEED, self->sk, SEED_BYTES + RSN_KEY_BYTES);
        *len = PLAIN_SIZE;
        return 0;
    }
    buf[OFF_KIND] = KIND_SEALED;
    randombytes_buf(buf + OFF_SALT, crypto_pwhash_SALTBYTES);
    put_u64le(buf + OFF_OPSLIMIT, SEAL_OPSLIMIT);
    put_u64le(buf + OFF_MEMLIMIT, SEAL_MEMLIMIT);
    randombytes_buf(buf + OFF_NONCE, crypto_secretbox_NONCEBYTES);
    key = sodium_malloc(crypto_secretbox_KEYBYTES);
    if (key == NULL) {
        rc = RSN_ERR_NOMEM;
        goto out;
    }
    rc = derive_key(key, passphrase, buf + OFF_SALT, SEAL_OPSLIMIT, SEAL_MEMLIMIT);
    if (rc != 0) {
        goto out;
    }
    if (crypto_secretbox_easy(buf + OFF_BOX, self->sk, BOX_PLAIN_LEN, buf + OFF_NONCE, key) != 0) {
        rc = RSN_ERR_CRYPTO;
        goto out;
    }
    *len = SEALED_SIZE;
out:
    if (key != NULL) {
        sodium_free(key);
    }
    return rc;
}

/* fsyncs the folder holding PATH so the new name survives a crash. */
static int sync_parent(const char *path)
{
    char *dir = strdup(path);
    char *slash;
    int fd = -1;
    int rc = RSN_ERR_IO;

    if (dir == NULL) {
        return RSN_ERR_NOMEM;
    }
    slash = strrchr(dir, '/');
    if (slash == NULL) {
        strcpy(dir, ".");
    } else if (slash == dir) {
        dir[1] = '\0';
    } else {
        *slash = '\0';
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        goto out;
    }
    /* some file systems cannot sync a folder; that is not our failure */
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
        goto out;
    }
    rc = 0;
out:
    if (rc != 0) {
        rsn_warn("syncing the folder of %s: %s", path, strerror(errno));
    }
    if (fd >= 0) {
        close(fd);
    }
    free(dir);
    return rc;
}

int rsn_keypair_save(const rsn_keypair_t *self, const char *path, const char *passphrase)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    size_t done = 0;
    bool created = false;
    int fd = -1;
    int rc;

    if (self == NULL || path == NULL) {
        return RSN_ERR_INVALID_ARG;
    }
    buf = sodium_malloc(SEALED_SIZE);
    if (buf == NULL) {
        return RSN_ERR_NOMEM;
    }
    /* encode first: a failing pwhash leaves no file behind */
    rc = encode_keyfile(self, passphrase, buf, &len);
    if (rc != 0) {
        goto out;
    }
    rc = RSN_ERR_IO;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        if (errno == EEXIST) {
            rc = RSN_ERR_EXISTS;
        } else {
            rsn_warn("key file %s: %s", path, strerror(errno));
        }
        goto out;
    }
    created = true;
    if (fchmod(fd, 0600) != 0) { /* whatever the umask said */
        rsn_warn("key file %s: fchmod: %s", path, strerror(errno));
        goto out;
    }
    while (done < len) {
        ssize_t n = write(fd, buf + done, len - done);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            rsn_warn("key file %s: write: %s", path, strerror(errno));
            goto out;
        }
        done += (size_t)n;
    }
    if (fsync(fd) != 0) {
        rsn_warn("key file %s: fsync: %s", path, strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        rsn_warn("key file %s: close: %s", path, strerror(errno));
        goto out;
    }
    fd = -1;
    if (sync_parent(path) != 0) {
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0) {
        close(fd);
    }
    if (rc != 0 && created) {
        unlink(path);
    }
    sodium_free(buf);
    return rc;
}
