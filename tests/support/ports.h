/* support/ports.h — free TCP ports on loopback, for nodes a test starts.
 *
 * A test that starts several nodes gives each a listen port; asking the
 * kernel (bind to port 0, read the port back, close) picks one nothing
 * listens on right now, so tests running side by side do not collide. */
#ifndef RSN_TEST_PORTS_H
#define RSN_TEST_PORTS_H

#include "common/err.h"

/* A TCP port on 127.0.0.1 that nothing listens on right now into *PORT.
 * RSN_ERR_IO when the kernel gives none. */
RSN_NODISCARD int rsn_test_free_port(int *port);

#endif
