/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;

import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The transport with a TLS port: handshakes run on the authenticator agent, never on a reader, so a flood of costly
 * handshakes cannot stall the lines of connections already served.
 */
class TransportTlsTest
{
    /** What a handshake costs here: the server's signature, made slow on purpose (see slowSigning). */
    private static final long HANDSHAKE_COST_MS = 1500;

    @TempDir
    static Path certDir;
    static TestCertificates certs;

    private record Seen(long connectionId, String text, long atNs)
    {
    }

    private final LinkedBlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    private Transport transport;
    private final List<AgentRunner> runners = new ArrayList<>();
    private final List<Socket> openSockets = new ArrayList<>();
    private Thread acceptorThread;

    @BeforeAll
    static void makeCertificates() throws Exception
    {
        certs = TestCertificates.make(certDir, "ec");
    }

    @AfterEach
    void stop() throws InterruptedException
    {
        synchronized (openSockets)
        {
            CloseHelper.closeAll(openSockets);
        }
        if (null != transport)
        {
            transport.stopAccepting();
            acceptorThread.join();
            CloseHelper.closeAll(runners);
            transport.close();
        }
    }

    @Test
    @Timeout(60)
    void shouldKeepReadingPlainLinesWhileSlowHandshakesRun() throws Exception
    {
        start(slowSigning());
        try (Socket plain = new Socket("127.0.0.1", transport.localAddress().getPort()))
        {
            final OutputStream out = plain.getOutputStream();
            out.write("plain\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("plain", next().text());

            final int handshakes = 2;
            final SSLContext client = TlsContexts.forTrustOnly(certs.caCert, null);
            final InetSocketAddress tls = transport.tlsLocalAddress();
            final List<CompletableFuture<SSLSocket>> secure = new ArrayList<>();
            for (int i = 0; i < handshakes; i++)
            {
                final String name = "secure-" + i;
                secure.add(CompletableFuture.supplyAsync(() -> sendOverTls(client, tls, name)));
            }
            // While the handshakes take their time, the plain connection's lines get through at once.
            final long endNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(handshakes * HANDSHAKE_COST_MS);
            final List<String> others = new ArrayList<>();
            int lines = 0;
            long worstMs = 0;
            while (System.nanoTime() - endNs < 0)
            {
                final long sentNs = System.nanoTime();
                out.write(("line-" + lines + "\n").getBytes(StandardCharsets.US_ASCII));
                Seen line = next();
                while (!line.text().equals("line-" + lines))
                {
                    others.add(line.text()); // a TLS client's line may come in between
                    line = next();
                }
                worstMs = Math.max(worstMs, TimeUnit.NANOSECONDS.toMillis(line.atNs() - sentNs));
                lines++;
            }
            assertTrue(worstMs < HANDSHAKE_COST_MS / 2,
                "a plain line waited " + worstMs + " ms behind a handshake of " + HANDSHAKE_COST_MS + " ms");
            for (final CompletableFuture<SSLSocket> future : secure)
            {
                assertEquals("TLSv1.3", future.get(30, TimeUnit.SECONDS).getSession().getProtocol());
            }
            // Each TLS client's line was framed once its handshake was done (some may have come in between).
            while (others.size() < handshakes)
            {
                others.add(next().text());
            }
            others.sort(null);
            assertEquals(List.of("secure-0", "secure-1"), others);
            System.out.println("TransportTlsTest: " + lines + " plain lines during " + handshakes +
                " slow handshakes, worst " + worstMs + " ms");
        }
    }

    /**
     * Handshakes, sends {@code name} as a line and leaves the socket open: closing it with the server's session ticket
     * unread would make the kernel reset the connection, and the broker lose the line.
     */
    private SSLSocket sendOverTls(final SSLContext client, final InetSocketAddress address, final String name)
    {
        try
        {
            final SSLSocket socket = (SSLSocket)client.getSocketFactory().createSocket(address.getAddress(),
                address.getPort());
            synchronized (openSockets)
            {
                openSockets.add(socket);
            }
            socket.setSSLParameters(TlsContexts.parameters(client));
            socket.startHandshake();
            socket.getOutputStream().write((name + "\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return socket;
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private Seen next() throws InterruptedException
    {
        final Seen event = seen.poll(10, TimeUnit.SECONDS);
        assertNotNull(event, "no line within 10 s");
        return event;
    }

    private void start(final SSLContext serverContext) throws Exception
    {
        final TransportSettings settings = new TransportSettings(
            "127.0.0.1", 0, 1, 1, 1024, 1000, 64 * 1024, 256 * 1024L, 64L << 20, 4096, 64, 16,
            IdleStrategyKind.BLOCK, 1000, 30_000);
        transport = new Transport(settings, batch ->
        {
            final long nowNs = System.nanoTime();
            for (int i = 0; i < batch.size(); i++)
            {
                if (batch.type(i) != InboundBatch.DISCONNECT)
                {
                    final byte[] bytes = new byte[batch.length(i)];
                    batch.arena().buffer().getBytes(batch.offset(i), bytes);
                    seen.add(new Seen(batch.connection(i).id(), new String(bytes, StandardCharsets.ISO_8859_1),
                        nowNs));
                }
                batch.arena().releaseTo(batch.endPosition(i));
            }
            return true;
        });
        transport.tls(new TlsEndpoint("127.0.0.1", 0, serverContext, TlsChannel.ClientAuth.NONE));
        runners.add(runner(transport.reader(0)));
        runners.add(runner(transport.writer(0)));
        runners.add(runner(transport.authenticator()));
        transport.bind();
        for (final AgentRunner runner : runners)
        {
            AgentRunner.startOnThread(runner);
        }
        acceptorThread = new Thread(transport.acceptor(), "acceptor");
        acceptorThread.start();
    }

    private static AgentRunner runner(final TransportAgent agent)
    {
        assertNotNull(agent);
        return new AgentRunner(agent.idleStrategy(), Throwable::printStackTrace, null, agent.agent());
    }

    /**
     * The server's context, with a key manager that takes {@link #HANDSHAKE_COST_MS} to hand out its key: a stand-in
     * for the CPU a handshake costs (a signature, a key exchange), magnified so that a thread it runs on is visibly
     * held up. Parking here is the cost being simulated, not a wait for another thread.
     */
    private static SSLContext slowSigning() throws Exception
    {
        final KeyStore keyStore = KeyStore.getInstance("PKCS12");
        keyStore.load(null, null);
        keyStore.setKeyEntry("server", TlsContexts.readPrivateKey(certs.serverKey), new char[0],
            TlsContexts.readCertificates(certs.serverCert));
        final KeyManagerFactory factory = KeyManagerFactory.getInstance("SunX509");
        factory.init(keyStore, new char[0]);
        final X509ExtendedKeyManager keys = (X509ExtendedKeyManager)factory.getKeyManagers()[0];
        final X509ExtendedKeyManager slow = new X509ExtendedKeyManager()
        {
            @Override
            public String chooseEngineServerAlias(final String keyType, final Principal[] issuers,
                final SSLEngine engine)
            {
                return keys.chooseEngineServerAlias(keyType, issuers, engine);
            }

            @Override
            public String[] getClientAliases(final String keyType, final Principal[] issuers)
            {
                return null;
            }

            @Override
            public String chooseClientAlias(final String[] keyType, final Principal[] issuers, final Socket socket)
            {
                return null;
            }

            @Override
            public String[] getServerAliases(final String keyType, final Principal[] issuers)
            {
                return keys.getServerAliases(keyType, issuers);
            }

            @Override
            public String chooseServerAlias(final String keyType, final Principal[] issuers, final Socket socket)
            {
                return keys.chooseServerAlias(keyType, issuers, socket);
            }

            @Override
            public X509Certificate[] getCertificateChain(final String alias)
            {
                return keys.getCertificateChain(alias);
            }

            @Override
            public PrivateKey getPrivateKey(final String alias)
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(HANDSHAKE_COST_MS));
                return keys.getPrivateKey(alias);
            }
        };
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(new KeyManager[]{slow}, null, null);
        return context;
    }
}
