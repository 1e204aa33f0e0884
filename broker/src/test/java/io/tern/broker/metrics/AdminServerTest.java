/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.tern.transport.TestSockets.readUntilEnd;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin endpoint's rules on their own: which Host is loopback, how client text reaches the log, what token file
 * is usable; and the endpoint over TLS. The endpoint over plain sockets is tested in
 * {@code io.tern.broker.AdminEndpointTest}.
 */
@Timeout(30)
class AdminServerTest
{
    private static final char[] PASSWORD = "changeit".toCharArray();

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

    @Test
    void shouldServeOnlyTlsWithAnSslContextAndCloseAHandshakeThatNeverComes(@TempDir final Path dir) throws Exception
    {
        final SSLContext tls = selfSignedTls(dir);
        // A deadline that leaves a cold JVM on a loaded machine time for its first handshake.
        final AdminServer server = new AdminServer("127.0.0.1", 0, 30_000, null, tls, new StageHistogram[0], null,
            () -> true, System::currentTimeMillis, null, null, () -> 0);
        try
        {
            server.start(Runnable::run);
            final InetSocketAddress address = server.address();
            try (SSLSocket socket = (SSLSocket)tls.getSocketFactory().createSocket(address.getAddress(),
                address.getPort()))
            {
                socket.setSoTimeout(20_000);
                socket.startHandshake();
                socket.getOutputStream().write("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
                final String response = readToEnd(socket);
                assertTrue(response.startsWith("HTTP/1.1 200 "), response);
                assertTrue(response.endsWith("\r\n\r\naccepting\n"), response);
            }
            try (Socket plain = new Socket(address.getAddress(), address.getPort()))
            {
                plain.setSoTimeout(20_000);
                plain.getOutputStream().write("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
                final String response = readToEnd(plain);
                assertFalse(response.contains("accepting"), "plain HTTP answered on the TLS port: " + response);
            }
        }
        finally
        {
            server.stop();
        }

        // A client that connects and never starts its handshake is closed at the request deadline too.
        final AdminServer strict = new AdminServer("127.0.0.1", 0, 500, null, tls, new StageHistogram[0], null,
            () -> true, System::currentTimeMillis, null, null, () -> 0);
        try
        {
            strict.start(Runnable::run);
            try (Socket silent = new Socket(strict.address().getAddress(), strict.address().getPort()))
            {
                silent.setSoTimeout(10_000);
                final long startNs = System.nanoTime();
                assertEquals("", readToEnd(silent));
                final long closedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
                assertTrue(closedAfterMs >= 450 && closedAfterMs < 3500, "closed after " + closedAfterMs + " ms");
            }
        }
        finally
        {
            strict.stop();
        }
    }

    /** A key pair and self-signed certificate for localhost, made with the JDK's keytool, as server and trust. */
    private static SSLContext selfSignedTls(final Path dir) throws Exception
    {
        final Path keyStoreFile = dir.resolve("admin.p12");
        final String keytoolPath = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        final Process keytool = new ProcessBuilder(keytoolPath, "-genkeypair", "-alias", "admin", "-keyalg", "EC",
            "-groupname", "secp256r1", "-validity", "1", "-dname", "CN=localhost",
            "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-storetype", "PKCS12", "-keystore", keyStoreFile.toString(),
            "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
            .redirectErrorStream(true).start();
        final String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(keytool.waitFor(20, TimeUnit.SECONDS), "keytool did not finish");
        assertEquals(0, keytool.exitValue(), output);

        final KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStoreFile))
        {
            keyStore.load(in, PASSWORD);
        }
        final KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(keyStore, PASSWORD);
        final TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(keyStore);
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        return context;
    }

    /** @return everything read until the peer closes (or resets) the connection. */
    private static String readToEnd(final Socket socket) throws IOException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try
        {
            readUntilEnd(socket.getInputStream(), bytes);
        }
        catch (final SocketTimeoutException ex)
        {
            throw new AssertionError("not closed within the socket timeout; read so far: " + bytes, ex);
        }
        catch (final IOException reset)
        {
            // a reset ends it too
        }
        return bytes.toString(StandardCharsets.ISO_8859_1);
    }
}
