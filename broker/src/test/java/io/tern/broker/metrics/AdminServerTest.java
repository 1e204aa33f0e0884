/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin endpoint's rules on their own: which Host is loopback, how client text reaches the log, what token file
 * is usable. The endpoint over sockets is tested in {@code io.tern.broker.AdminEndpointTest}.
 */
@Timeout(10)
class AdminServerTest
{
    @Test
    void shouldTakeOnlyTheThreeLoopbackNamesWithOrWithoutAPortAsLoopbackHosts()
    {
        for (final String host : new String[]{"localhost", "LocalHost", "localhost:8081", "127.0.0.1",
            "127.0.0.1:1", "[::1]", "[::1]:8081"})
        {
            assertTrue(AdminServer.isLoopbackHost(host), host);
        }
        for (final String host : new String[]{"evil.example", "localhost.evil.example", "evil.example:8081",
            "127.0.0.1.nip.io", "127.0.0.2", "[::1].evil.example", "[::1]x", "[::1", "localhost:80x", "::1", "",
            "0.0.0.0", "[::ffff:127.0.0.1]"})
        {
            assertFalse(AdminServer.isLoopbackHost(host), host);
        }
        assertFalse(AdminServer.isLoopbackHost(null), "no Host at all");
    }

    @Test
    void shouldEscapeAndShortenClientTextForTheLog()
    {
        assertEquals("evil.example", AdminServer.printable("evil.example"));
        assertEquals("a\\x0d\\x0aINFO forged\\x1b[0m\\x5c", AdminServer.printable("a\r\nINFO forged\u001b[0m\\"));
        assertEquals("x".repeat(80) + "...", AdminServer.printable("x".repeat(200)));
        assertEquals("(none)", AdminServer.printable(null));
    }

    @Test
    void shouldReadOneTokenLineAndRefuseAnUnusableOne(@TempDir final Path dir) throws IOException
    {
        final Path good = Files.writeString(dir.resolve("good"), "  0123456789abcdef0123456789abcdef\n");
        assertEquals("0123456789abcdef0123456789abcdef", AdminServer.readToken(good));
        for (final String content : new String[]{"", "\n", "short\n", "0123456789abcdef 0123456789abcdef\n",
            "0123456789abcdef\n0123456789abcdef\n", "0123456789abcdef\u00e9\n"})
        {
            final Path bad = Files.writeString(dir.resolve("bad"), content);
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> AdminServer.readToken(bad), content);
            assertTrue(ex.getMessage().startsWith("--admin-token-file=" + bad + ": "), ex.getMessage());
        }
        final IOException missing = assertThrows(IOException.class,
            () -> AdminServer.readToken(dir.resolve("missing")));
        assertTrue(missing.getMessage().startsWith("--admin-token-file="), missing.getMessage());
    }
}
