/* status_client.c — a program outside raison's tree, built against an
 * installed libraison-client with `pkg-config --cflags --libs raison` only:
 * it asks the node at argv[1] (or the default socket) for its status and
 * prints the node key and the entry count. tests/integration/test_install.sh
 * builds and runs it. */
#include <stdio.h>

#include <raison/client.h>

int main(int argc, char **argv)
{
    raison_client *client = NULL;
    int rc = raison_client_connect(&client, argc > 1 ? argv[1] : NULL, 5000);
    if (rc != 0) {
        fprintf(stderr, "status_client: cannot connect: %s\n", raison_strerror(rc));
        return 1;
    }
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__StatusRequest status = RAISON__STATUS_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_STATUS;
    req.status = &status;
    Raison__ApiReply *reply = NULL;
    rc = raison_client_call(client, &req, &reply);
    if (rc != 0 || reply->result_case != RAISON__API_REPLY__RESULT_STATUS) {
        fprintf(stderr, "status_client: no status: %s\n", rc ? raison_strerror(rc) : "an error");
        raison_reply_free(reply);
        raison_client_close(&client);
        return 1;
    }
    printf("entries %llu node_key ", (unsigned long long)reply->status->entries);
    for (size_t i = 0; i < reply->status->node_key.len; i++) {
        printf("%02x", reply->status->node_key.data[i]);
    }
    printf("\n");
    raison_reply_free(reply);
    raison_client_close(&client);
    return 0;
}
