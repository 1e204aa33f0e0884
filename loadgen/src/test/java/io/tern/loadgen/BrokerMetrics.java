/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen;

import io.tern.broker.Broker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Reads one sample of a broker's {@code /metrics} (its admin port must be on). Test thread. */
final class BrokerMetrics
{
    private static final int TIMEOUT_MS = 5000;

    private BrokerMetrics()
    {
    }

    /**
     * One request per connection, closed after the response, so no keep-alive connection holds the broker's close.
     *
     * @param broker with an admin port.
     * @param name   of a sample as exposed, e.g. {@code tern_connections_accepted_total}.
     * @return its value.
     */
    static long value(final Broker broker, final String name) throws IOException
    {
        final String response;
        try (Socket socket = new Socket())
        {
            socket.connect(new InetSocketAddress("127.0.0.1", broker.adminAddress().getPort()), TIMEOUT_MS);
            socket.setSoTimeout(TIMEOUT_MS);
            final OutputStream out = socket.getOutputStream();
            out.write(("GET /metrics HTTP/1.1\r\nHost: localhost:" + broker.adminAddress().getPort() +
                "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            final InputStream in = socket.getInputStream();
            response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        for (final String line : response.split("\n"))
        {
            if (line.startsWith(name + " "))
            {
                return (long)Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("no " + name + " in /metrics:\n" + response);
    }
}
