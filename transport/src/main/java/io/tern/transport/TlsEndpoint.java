/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import javax.net.ssl.SSLContext;

/**
 * A second listening port whose connections speak TLS; they join the same readers, writers and broker as the plain
 * port's, so a TLS peer and a plain peer talk to each other. Immutable; any thread.
 *
 * @param bindAddress address to listen on.
 * @param port        port to listen on, 0 for any free one.
 * @param context     the server's context (its key and chain, and the trust store for client certificates).
 * @param clientAuth  whether clients must present a certificate the trust store verifies.
 */
public record TlsEndpoint(String bindAddress, int port, SSLContext context, TlsChannel.ClientAuth clientAuth)
{
}
