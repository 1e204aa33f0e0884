/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Contexts from the files operators have: RSA and EC PEM, PKCS#12, trust as PEM or PKCS#12; clear refusals. */
class TlsContextsTest
{
    @TempDir
    static Path ecDir;
    @TempDir
    static Path rsaDir;
    static TestCertificates ec;
    static TestCertificates rsa;

    @BeforeAll
    static void makeCertificates() throws Exception
    {
        ec = TestCertificates.make(ecDir, "ec");
        rsa = TestCertificates.make(rsaDir, "rsa");
    }

    @Test
    @Timeout(20)
    void shouldServeWithAnRsaPemKey() throws Exception
    {
        assertHandshakes(
            TlsContexts.fromPem(rsa.serverCert, rsa.serverKey, null, null),
            TlsContexts.forTrustOnly(rsa.caCert, null));
    }

    @Test
    @Timeout(20)
    void shouldServeWithAnEcPemKey() throws Exception
    {
        assertHandshakes(
            TlsContexts.fromPem(ec.serverCert, ec.serverKey, null, null),
            TlsContexts.forTrustOnly(ec.caCert, null));
    }

    @Test
    @Timeout(20)
    void shouldServeWithAPkcs12KeyStoreAndTrustAPkcs12TrustStore() throws Exception
    {
        final Path trust = ecDir.resolve("trust.p12");
        // openssl 3.0 cannot mark a PKCS#12 certificate as trusted for Java (-jdktrust came in 3.2): keytool's way
        final KeyStore trustStore = KeyStore.getInstance("PKCS12");
        trustStore.load(null, null);
        trustStore.setCertificateEntry("ca", TlsContexts.readCertificates(ec.caCert)[0]);
        try (OutputStream out = Files.newOutputStream(trust))
        {
            trustStore.store(out, "trustpass".toCharArray());
        }
        assertHandshakes(
            TlsContexts.fromPkcs12(ec.serverPkcs12, TestCertificates.PKCS12_PASSWORD.toCharArray(), null, null),
            TlsContexts.forTrustOnly(trust, "trustpass".toCharArray()));
    }

    @Test
    @Timeout(20)
    void shouldRefuseAKeyThatIsNotTheCertificates()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> TlsContexts.fromPem(ec.serverCert, ec.clientKey, null, null));
        assertTrue(ex.getMessage().contains("does not belong"), ex.getMessage());
        final IllegalArgumentException rsaKey = assertThrows(IllegalArgumentException.class,
            () -> TlsContexts.fromPem(ec.serverCert, rsa.serverKey, null, null));
        assertTrue(rsaKey.getMessage().contains("the key is RSA"), rsaKey.getMessage());
    }

    @Test
    @Timeout(20)
    void shouldSayHowToConvertATraditionalKey() throws Exception
    {
        TestCertificates.openssl(rsaDir, "pkey", "-in", "server.key", "-traditional", "-out", "traditional.key");
        final Path traditional = rsaDir.resolve("traditional.key");
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> TlsContexts.fromPem(rsa.serverCert, traditional, null, null));
        assertTrue(ex.getMessage().contains("openssl pkcs8 -topk8 -nocrypt"), ex.getMessage());
    }

    @Test
    @Timeout(20)
    void shouldNameTheFileThatIsMissingOrWrong() throws Exception
    {
        final Path missing = ecDir.resolve("missing.pem");
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> TlsContexts.fromPem(missing, ec.serverKey, null, null));
        assertTrue(ex.getMessage().contains("missing.pem"), ex.getMessage());
        final IllegalArgumentException wrongPassword = assertThrows(IllegalArgumentException.class,
            () -> TlsContexts.fromPkcs12(ec.serverPkcs12, "wrong".toCharArray(), null, null));
        assertTrue(wrongPassword.getMessage().contains("server.p12"), wrongPassword.getMessage());
        final Path notPem = ecDir.resolve("not.pem");
        Files.writeString(notPem, "hello\n", StandardCharsets.US_ASCII);
        final IllegalArgumentException noCert = assertThrows(IllegalArgumentException.class,
            () -> TlsContexts.fromPem(notPem, ec.serverKey, null, null));
        assertTrue(noCert.getMessage().contains("no CERTIFICATE"), noCert.getMessage());
    }

    /** Blocking sockets: a server thread echoes one line back over TLS. */
    private static void assertHandshakes(final SSLContext serverContext, final SSLContext clientContext)
        throws Exception
    {
        try (SSLServerSocket listener = (SSLServerSocket)serverContext.getServerSocketFactory()
            .createServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            listener.setSSLParameters(TlsContexts.parameters(serverContext));
            final CompletableFuture<String> served = CompletableFuture.supplyAsync(() ->
            {
                try (SSLSocket socket = (SSLSocket)listener.accept())
                {
                    final InputStream in = socket.getInputStream();
                    final byte[] line = new byte[5];
                    int n = 0;
                    while (n < line.length)
                    {
                        n += in.read(line, n, line.length - n);
                    }
                    socket.getOutputStream().write(line);
                    socket.getOutputStream().flush();
                    return socket.getSession().getProtocol();
                }
                catch (final IOException ex)
                {
                    throw new IllegalStateException(ex);
                }
            });
            try (SSLSocket socket = (SSLSocket)clientContext.getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort()))
            {
                final OutputStream out = socket.getOutputStream();
                out.write("ping\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                final byte[] echo = socket.getInputStream().readNBytes(5);
                assertEquals("ping\n", new String(echo, StandardCharsets.US_ASCII));
            }
            assertEquals("TLSv1.3", served.get(10, TimeUnit.SECONDS));
        }
    }
}
