/*
 * replay.c - run a fuzz target's LLVMFuzzerTestOneInput on files, for
 * builds without libFuzzer (gcc, ASan): every corpus file and every saved
 * crash is replayed by make test.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        uint8_t *buf = NULL;
        size_t len = 0, cap = 0, n;

        if (!f) {
            perror(argv[i]);
            return 2;
        }
        do {
            if (len == cap) {
                uint8_t *nb = realloc(buf, cap ? cap * 2 : 65536);

                if (!nb) {
                    fclose(f);
                    free(buf);
                    return 2;
                }
                buf = nb;
                cap = cap ? cap * 2 : 65536;
            }
            n = fread(buf + len, 1, cap - len, f);
            len += n;
        } while (n > 0);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, len);
        free(buf);
    }
    return 0;
}
