/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.tern.transport.TlsChannel;
import io.tern.transport.TlsContexts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS on its own client port beside the plain one: handshake and routing over TLS, TLS and plain peers talking through
 * one broker, certificates the client refuses, client certificates when asked for, the admin endpoint over HTTPS and
 * the settings that go with them. Certificates are made with {@code openssl} for the test.
 */
class BrokerTlsTest extends BrokerTestSupport
{
    @TempDir
    static Path certDir;
    static TestCertificates certs;
    /** Trusts the test CA; no key of its own. */
    static SSLContext trustingClient;

    private InetSocketAddress tlsAddress;

    @BeforeAll
    static void makeCertificates() throws Exception
    {
        certs = TestCertificates.make(certDir, "ec");
        trustingClient = TlsContexts.forTrustOnly(certs.caCert, null);
    }

    /** A broker with a TLS port from the test's PEM files, and whatever else the test sets. */
    private Broker startTlsBroker(final BrokerConfig config) throws IOException
    {
        config.set(Settings.TLS_PORT, 0)
            .set(Settings.TLS_CERT, certs.serverCert)
            .set(Settings.TLS_KEY, certs.serverKey);
        startBroker(config);
        tlsAddress = broker.tlsAddress();
        assertNotNull(tlsAddress);
        return broker;
    }

    private LineClient connectTls(final SSLContext context) throws IOException
    {
        return track(LineClient.connectTls(tlsAddress, context, 0, clientTimeout));
    }

    private LineClient registerTls(final String name, final SSLContext context) throws IOException
    {
        final LineClient client = connectTls(context).name(name);
        client.send(name);
        assertNextLineIsProbe(client, client);
        return client;
    }

    @Test
    @Timeout(30)
    void shouldHandshakeAndRouteBetweenTlsPeers() throws Exception
    {
        startTlsBroker(new BrokerConfig());
        final LineClient alice = registerTls("alice", trustingClient);
        final LineClient bob = registerTls("bob", trustingClient);
        assertEquals("TLSv1.3", ((SSLSocket)alice.socket()).getSession().getProtocol());

        alice.send("bob: hello over TLS");
        bob.expectLine("from alice: hello over TLS");
        bob.send("alice: " + "x".repeat(60_000)); // several records in one line
        alice.expectLine("from bob: " + "x".repeat(60_000));
        assertNextLineIsProbe(alice, bob);
    }

    @Test
    @Timeout(30)
    void shouldLetATlsPeerAndAPlainPeerTalk() throws Exception
    {
        startTlsBroker(new BrokerConfig());
        final LineClient secure = registerTls("secure", trustingClient);
        final LineClient plain = register("plain");

        secure.send("plain: from the TLS side");
        plain.expectLine("from secure: from the TLS side");
        plain.send("secure: from the plain side");
        secure.expectLine("from plain: from the plain side");
        secure.send("plain, nobody: to both");
        plain.expectLine("from secure: to both");
        secure.expectLine("error: no peer 'nobody'");
    }

    @Test
    @Timeout(30)
    void shouldDeliverABurstOfLinesSentInOneRecordAndAcrossRecords() throws Exception
    {
        // Reads of 512 bytes at most: every record of 16 KiB is decrypted into the channel's own buffer and handed out
        // over many reads without the socket reporting anything new, which the reader must notice by itself.
        startTlsBroker(new BrokerConfig().set(Settings.READ_BUFFER_BYTES, 512));
        final LineClient sender = registerTls("burst", trustingClient);
        final LineClient receiver = register("sink");
        final StringBuilder burst = new StringBuilder();
        for (int i = 0; i < 2000; i++)
        {
            burst.append("sink: line ").append(i).append('\n');
        }
        sender.sendRaw(burst.toString().getBytes(StandardCharsets.US_ASCII)); // records of 16 KiB, lines across them
        for (int i = 0; i < 2000; i++)
        {
            receiver.expectLine("from burst: line " + i);
        }
        assertNextLineIsProbe(receiver, sender);
    }

    @Test
    @Timeout(60)
    void shouldDeliverEverythingToATlsReaderBehindAFullSocket() throws Exception
    {
        // The socket fills again and again: the writer keeps plaintext TLS did not take, and records TLS made that the
        // socket did not take, and sends both as the socket drains; everything arrives, in order, nobody is cut.
        startTlsBroker(new BrokerConfig());
        final LineClient receiver = track(LineClient.connectTls(tlsAddress, trustingClient, 4096, clientTimeout))
            .name("slow");
        receiver.send("slow");
        assertNextLineIsProbe(receiver, receiver);
        final LineClient sender = register("fast");
        final String text = "y".repeat(1000);
        final int lines = 3000; // about 3 MB: far beyond the socket buffers, within max-queued-bytes-per-peer
        final StringBuilder batch = new StringBuilder();
        for (int i = 0; i < lines; i++)
        {
            batch.append("slow: ").append(i).append(' ').append(text).append('\n');
        }
        sender.sendRaw(batch.toString().getBytes(StandardCharsets.US_ASCII));
        assertNextLineIsProbe(sender, sender); // all routed
        for (int i = 0; i < lines; i++)
        {
            receiver.expectLine("from fast: " + i + " " + text);
        }
        assertNextLineIsProbe(receiver, sender);
        assertEquals(0, broker.slowConsumerDisconnects());
    }

    @Test
    @Timeout(60)
    void shouldAuthenticateOverTlsAndRouteWhatCameWithTheFirstLine() throws Exception
    {
        final Path users = certDir.resolve("users-" + System.nanoTime() + ".txt");
        CredentialsFile.addUser(users, "alice", "s3cret".toCharArray(), 1000);
        CredentialsFile.addUser(users, "bob", "hunter2".toCharArray(), 1000);
        // Small reads: the first line and the many lines after it arrive in records the authenticator cannot take in
        // one read, so what it leaves in TLS must reach the reader all the same.
        startTlsBroker(new BrokerConfig().authFile(users).set(Settings.READ_BUFFER_BYTES, 512));
        final LineClient bob = connectTls(trustingClient).name("bob");
        bob.send("bob hunter2");
        assertNextLineIsProbe(bob, bob);
        final LineClient alice = connectTls(trustingClient).name("alice");
        final StringBuilder first = new StringBuilder("alice s3cret\n");
        for (int i = 0; i < 500; i++)
        {
            first.append("bob: with the first line ").append(i).append('\n');
        }
        alice.sendRaw(first.toString().getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < 500; i++)
        {
            bob.expectLine("from alice: with the first line " + i);
        }
        final LineClient mallory = connectTls(trustingClient).name("mallory");
        mallory.send("alice wrong");
        assertEquals(List.of("error: not authorized"), mallory.awaitClosed());
        assertNextLineIsProbe(alice, bob);
    }

    @Test
    @Timeout(30)
    void shouldFailTheHandshakeWhenTheClientDoesNotTrustTheServer() throws Exception
    {
        startTlsBroker(new BrokerConfig());
        final SSLContext stranger = TlsContexts.forTrustOnly(certs.otherCaCert, null);
        assertThrows(SSLHandshakeException.class, () -> LineClient.connectTls(tlsAddress, stranger, 0, clientTimeout));
        // the broker is fine: TLS and plain peers still get through
        final LineClient alice = registerTls("alice", trustingClient);
        final LineClient bob = register("bob");
        assertNextLineIsProbe(alice, bob);
        awaitCondition("the refused connection closed", clientTimeout, () -> broker.connectionsOpen() == 2);
        assertEquals(0, broker.internalErrors());
    }

    @Test
    @Timeout(30)
    void shouldFailTheHandshakeWhenTheServersNameIsNotTheOneTheClientAsked() throws Exception
    {
        startTlsBroker(new BrokerConfig());
        final Socket tcp = new Socket(tlsAddress.getAddress(), tlsAddress.getPort());
        final SSLSocket socket = (SSLSocket)trustingClient.getSocketFactory()
            .createSocket(tcp, "tern.example.org", tlsAddress.getPort(), true);
        final SSLParameters parameters = TlsContexts.parameters(trustingClient);
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        socket.setSSLParameters(parameters);
        socket.setSoTimeout((int)clientTimeout.toMillis());
        try (socket)
        {
            final SSLHandshakeException ex = assertThrows(SSLHandshakeException.class, socket::startHandshake);
            assertTrue(String.valueOf(ex.getMessage()).contains("tern.example.org"), ex.getMessage());
        }
        assertNextLineIsProbe(registerTls("after", trustingClient), register("plain"));
    }

    @Test
    @Timeout(30)
    void shouldRefuseAClientWithoutACertificateWhenOneIsNeeded() throws Exception
    {
        startTlsBroker(clientAuth(TlsChannel.ClientAuth.NEED));
        assertRefused(trustingClient, "nocert");
        assertNextLineIsProbe(registerTls("alice", clientWith(certs.clientCert, certs.clientKey)), register("plain"));
    }

    @Test
    @Timeout(30)
    void shouldRefuseAClientCertificateFromAnotherCa() throws Exception
    {
        startTlsBroker(clientAuth(TlsChannel.ClientAuth.NEED));
        assertRefused(TestCertificates.presenting(certs.strangerCert, certs.strangerKey, certs.caCert), "mallory");
        // the name check's plain client is the only connection left
        awaitCondition("the refused connection closed", clientTimeout, () -> broker.connectionsOpen() == 1);
    }

    @Test
    @Timeout(30)
    void shouldAcceptAClientCertificateFromTheConfiguredCa() throws Exception
    {
        startTlsBroker(clientAuth(TlsChannel.ClientAuth.NEED));
        final LineClient alice = registerTls("alice", clientWith(certs.clientCert, certs.clientKey));
        final LineClient plain = register("plain");
        alice.send("plain: signed in with a certificate");
        plain.expectLine("from alice: signed in with a certificate");
    }

    @Test
    @Timeout(30)
    void shouldAcceptClientsWithoutACertificateButNotWithABadOneWhenOneIsWanted() throws Exception
    {
        startTlsBroker(clientAuth(TlsChannel.ClientAuth.WANT));
        final LineClient anonymous = registerTls("anonymous", trustingClient);
        final LineClient alice = registerTls("alice", clientWith(certs.clientCert, certs.clientKey));
        assertNextLineIsProbe(anonymous, alice);
        assertRefused(TestCertificates.presenting(certs.strangerCert, certs.strangerKey, certs.caCert), "mallory");
    }

    @Test
    @Timeout(30)
    void shouldServeWithAPkcs12KeyStoreWhosePasswordIsInAFile() throws Exception
    {
        final Path passwordFile = certDir.resolve("keystore.pass");
        Files.writeString(passwordFile, TestCertificates.PKCS12_PASSWORD + "\n", StandardCharsets.US_ASCII);
        startBroker(new BrokerConfig()
            .set(Settings.TLS_PORT, 0)
            .set(Settings.TLS_KEYSTORE, certs.serverPkcs12)
            .set(Settings.TLS_KEYSTORE_PASSWORD_FILE, passwordFile));
        tlsAddress = broker.tlsAddress();
        assertNextLineIsProbe(registerTls("alice", trustingClient), register("plain"));
    }

    @Test
    @Timeout(30)
    void shouldServeTheAdminEndpointOverHttpsOnly() throws Exception
    {
        startTlsBroker(new BrokerConfig().adminPort(0).set(Settings.ADMIN_TLS, BrokerConfig.OnOff.ON));
        final InetSocketAddress admin = broker.adminAddress();
        final HttpClient https = HttpClient.newBuilder().sslContext(trustingClient)
            .connectTimeout(clientTimeout).build();
        final HttpResponse<String> health = https.send(
            HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + admin.getPort() + "/health"))
                .timeout(clientTimeout).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());
        // plain HTTP gets no answer it can read
        try (Socket plain = new Socket(admin.getAddress(), admin.getPort()))
        {
            plain.setSoTimeout((int)clientTimeout.toMillis());
            plain.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            final InputStream in = plain.getInputStream();
            final byte[] reply = in.readNBytes(4);
            assertTrue(reply.length < 4 || !"HTTP".equals(new String(reply, StandardCharsets.US_ASCII)),
                "plain HTTP was answered");
        }
        catch (final IOException closedOnUs)
        {
            // also fine: the server closed the connection
        }
    }

    // ---- settings ---------------------------------------------------------------------------------------------------

    @Test
    @Timeout(30)
    void shouldRefuseTlsSettingsThatDoNotGoTogether()
    {
        assertBad("--tls-port=0: needs the server's key", new BrokerConfig().set(Settings.TLS_PORT, 0));
        assertBad("--tls-cert=" + certs.serverCert + ": needs --tls-key too",
            new BrokerConfig().set(Settings.TLS_PORT, 0).set(Settings.TLS_CERT, certs.serverCert));
        assertBad("is used by nothing", new BrokerConfig()
            .set(Settings.TLS_CERT, certs.serverCert).set(Settings.TLS_KEY, certs.serverKey));
        assertBad("--tls-client-auth=need: needs --tls-client-ca", tlsConfig()
            .set(Settings.TLS_CLIENT_AUTH, TlsChannel.ClientAuth.NEED));
        assertBad("--tls-client-ca=" + certs.caCert + ": is used by nothing", tlsConfig()
            .set(Settings.TLS_CLIENT_CA, certs.caCert));
        assertBad("does not belong", new BrokerConfig().set(Settings.TLS_PORT, 0)
            .set(Settings.TLS_CERT, certs.serverCert).set(Settings.TLS_KEY, certs.clientKey));
        assertBad("--admin-tls=on: needs the server's key", new BrokerConfig().set(Settings.ADMIN_TLS,
            BrokerConfig.OnOff.ON));
        assertBad("--tls-keystore=" + certs.serverPkcs12 + ": keystore=", new BrokerConfig().set(Settings.TLS_PORT, 0)
            .set(Settings.TLS_KEYSTORE, certs.serverPkcs12)); // no password given (unless the environment has one)
    }

    @Test
    @Timeout(30)
    void shouldRefuseATlsPortBeyondLoopbackWithoutAuthenticationUnlessAllowed()
    {
        assertBad("--tls-bind=0.0.0.0: the TLS port is reachable beyond loopback", tlsConfig()
            .set(Settings.TLS_BIND, "0.0.0.0"));
        tlsConfig().set(Settings.TLS_BIND, "0.0.0.0").set(Settings.EXPOSURE, BrokerConfig.Exposure.ALLOW).conclude();
        tlsConfig().set(Settings.TLS_BIND, "0.0.0.0").set(Settings.TLS_CLIENT_CA, certs.caCert)
            .set(Settings.TLS_CLIENT_AUTH, TlsChannel.ClientAuth.NEED).conclude();
    }

    // ---------------------------------------------------------------------------------------------------------------

    private static BrokerConfig tlsConfig()
    {
        return new BrokerConfig().port(0).set(Settings.TLS_PORT, 0)
            .set(Settings.TLS_CERT, certs.serverCert).set(Settings.TLS_KEY, certs.serverKey);
    }

    private static BrokerConfig clientAuth(final TlsChannel.ClientAuth mode)
    {
        return new BrokerConfig().set(Settings.TLS_CLIENT_CA, certs.caCert).set(Settings.TLS_CLIENT_AUTH, mode);
    }

    private static SSLContext clientWith(final Path cert, final Path key)
    {
        return TlsContexts.fromPem(cert, key, certs.caCert, null);
    }

    private static void assertBad(final String expected, final BrokerConfig config)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, config::conclude);
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
    }

    /**
     * A client the broker must refuse for its certificate: with TLSv1.3 the client's side of the handshake may finish
     * before the broker has checked its certificate, so the refusal shows as a failed handshake, a TLS alert, a reset
     * or the end of the stream. Either way it never gets a name.
     */
    private void assertRefused(final SSLContext context, final String name) throws IOException
    {
        LineClient client = null;
        try
        {
            client = connectTls(context).name(name);
        }
        catch (final SSLException | java.net.SocketException refusedInHandshake)
        {
            // an alert, or the broker closed first (a reset or a broken pipe as the client writes)
        }
        if (null != client)
        {
            try
            {
                client.send(name);
                client.send(name + ": hello");
                assertEquals(0, client.awaitClosed().size(), "the refused client got lines");
            }
            catch (final SSLException | java.net.SocketException refused)
            {
                // the alert came first
            }
        }
        // the name was never taken
        final LineClient probe = register(name + "-check");
        probe.send(name + ": are you there");
        probe.expectLine("error: no peer '" + name + "'");
    }
}
