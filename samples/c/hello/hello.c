/* hello: a C program for emscripten, built both ways emcc offers (with JS glue, and
 * -sSTANDALONE_WASM). It prints its arguments and writes and reads back a file. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    printf("Hello from C, %d argument(s)\n", argc - 1);
    for (int i = 1; i < argc; i++) {
        printf("  argv[%d] = %s\n", i, argv[i]);
    }
    FILE *f = fopen("hello.txt", "w");
    if (f) {
        fputs("written by hello.c\n", f);
        fclose(f);
        char line[64] = {0};
        f = fopen("hello.txt", "r");
        if (f && fgets(line, sizeof line, f)) {
            printf("read back: %s", line);
        }
        if (f) fclose(f);
    }
    return 0;
}
