/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Optional authentication: the first line is {@code name secret}, checked against salted PBKDF2 hashes.
 */
@Timeout(30)
class BrokerAuthTest extends BrokerTestSupport
{
    // Few iterations keep the test fast; the default for real files is CredentialsFile.DEFAULT_ITERATIONS.
    private static final int TEST_ITERATIONS = 1_000;

    @TempDir
    Path dir;
    private Path users;

    @BeforeEach
    void writeCredentials() throws Exception
    {
        users = dir.resolve("users.txt");
        CredentialsFile.addUser(users, "alice", "s3cret".toCharArray(), TEST_ITERATIONS);
        CredentialsFile.addUser(users, "bob", "hunter2".toCharArray(), TEST_ITERATIONS);
        startBroker(new BrokerConfig().authFile(users).nameTimeoutMs(500));
    }

    /** Sends {@code firstLine} (name and secret); a self-probe confirms that the broker admitted {@code name}. */
    private LineClient login(final String firstLine, final String name) throws Exception
    {
        return registerAs(utf8(firstLine), name, 0);
    }

    @Test
    void shouldAdmitAPeerWithTheRightSecretUnderItsName() throws Exception
    {
        final LineClient alice = login("alice s3cret", "alice");
        final LineClient bob = login("  bob \t hunter2  ", "bob");
        alice.send("bob: hi");
        bob.expectLine("from alice: hi");
        bob.send("alice: hello");
        alice.expectLine("from bob: hello");
    }

    @Test
    void shouldRouteLinesSentTogetherWithTheFirstLine() throws Exception
    {
        final LineClient alice = connect();
        alice.sendRaw("alice s3cret\r\nalice: one\nalice: two\n".getBytes(StandardCharsets.US_ASCII));
        alice.expectLine("from alice: one");
        alice.expectLine("from alice: two");
    }

    @Test
    void shouldAdmitAFirstLineSentOneByteAtATimeAndRouteTheLinesThatFollowIt() throws Exception
    {
        final LineClient alice = connect();
        alice.sendByteByByte("alice s3cret\r\n".getBytes(StandardCharsets.US_ASCII));
        alice.sendRaw("alice: one\n".getBytes(StandardCharsets.US_ASCII));
        alice.expectLine("from alice: one");
    }

    @Test
    void shouldRouteMoreLinesSentWithTheFirstLineThanOneReadBufferHolds() throws Exception
    {
        startBroker(new BrokerConfig().authFile(users).nameTimeoutMs(500)
            .set(Settings.READ_BUFFER_BYTES, 64).set(Settings.MAX_LINE_BYTES, 200)
            .set(Settings.INBOUND_BUFFER_BYTES, 4096).set(Settings.MAX_QUEUED_BYTES_PER_PEER, 64L * 1024));
        final LineClient alice = connect();
        // Most of the first line in earlier reads, so what follows it in the read that ends it fills the read buffer:
        // the name and those lines, handed to the reader together, are more than its read buffer holds.
        alice.sendByteByByte("alice s3cre".getBytes(StandardCharsets.US_ASCII));
        final StringBuilder input = new StringBuilder("t\n");
        for (int i = 0; i < 40; i++)
        {
            input.append("alice: line ").append(i).append(":").append("x".repeat(i)).append('\n');
        }
        alice.sendRaw(input.toString().getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < 40; i++)
        {
            alice.expectLine("from alice: line " + i + ":" + "x".repeat(i));
        }
    }

    @Test
    void shouldRefuseAWrongMissingOrUnknownSecret() throws Exception
    {
        // Seven failures from one address: more than the default throttle allows, which has a test of its own.
        startBroker(new BrokerConfig().authFile(users).nameTimeoutMs(500).set(Settings.AUTH_MAX_FAILURES, 100));
        final LineClient alice = login("alice s3cret", "alice");
        for (final String firstLine : List.of("bob s3cret", "bob", "bob ", "mallory hunter2", "bob hunter2 extra",
            "hunter2", ""))
        {
            final LineClient intruder = connect();
            intruder.send(firstLine);
            assertEquals(List.of("error: not authorized"), intruder.awaitClosed(Duration.ofSeconds(5)),
                "first line '" + firstLine + "'");
        }
        // None of them got the name bob, and alice was never disturbed.
        alice.send("bob: are you there");
        alice.expectLine("error: no peer 'bob'");
        login("bob hunter2", "bob");
    }

    @Test
    void shouldStillApplyTheNameDeadline() throws Exception
    {
        final LineClient silent = connect();
        assertEquals(List.of("error: no name within 500 ms"), silent.awaitClosed(Duration.ofSeconds(5)));
    }

    @Test
    void shouldKeepNoSecretInTheCredentialsFile() throws Exception
    {
        final String content = Files.readString(users);
        assertFalse(content.contains("s3cret"));
        assertFalse(content.contains("hunter2"));
        assertTrue(content.contains("alice:" + TEST_ITERATIONS + ":"));
        assertEquals(2, CredentialsFile.load(users).size());
    }

    @Test
    void shouldAdmitANameWithInnerSpacesSinceTheLoginLineSplitsAtItsLastSpace() throws Exception
    {
        final Path file = dir.resolve("spaces.txt");
        CredentialsFile.addUser(file, "alice smith", "s3cret".toCharArray(), TEST_ITERATIONS);
        final CredentialsFile credentials = CredentialsFile.load(file);
        final byte[] login = "alice smith s3cret".getBytes(StandardCharsets.US_ASCII);
        assertEquals("alice smith".length(), credentials.verify(login, 0, login.length), "cut down to the name");
        final byte[] lastWordOnly = "smith s3cret".getBytes(StandardCharsets.US_ASCII);
        assertEquals(-1, credentials.verify(lastWordOnly, 0, lastWordOnly.length));
    }

    @Test
    void shouldRefuseToAddANameTheProtocolRefusesOrTheFileWouldTakeForAComment()
    {
        final Path file = dir.resolve("refused.txt");
        for (final String name : List.of("", "a,b", "a:b", "a\u007Fb", "a\u001Fb", "a\tb", " alice", "alice ",
            "#alice"))
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> CredentialsFile.addUser(file, name, "s3cret".toCharArray(), TEST_ITERATIONS), "'" + name + "'");
            assertTrue(ex.getMessage().startsWith("invalid name '" + name + "': "), ex.getMessage());
        }
        assertFalse(Files.exists(file));
    }

    @Test
    void shouldRejectAMalformedCredentialsFile() throws Exception
    {
        final Path bad = dir.resolve("bad.txt");
        Files.writeString(bad, "alice:notanumber:x:y\n");
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> CredentialsFile.load(bad));
        assertTrue(ex.getMessage().contains("line 1"), ex.getMessage());
    }

    @Test
    void shouldAdmitAUserAddedToTheFileOnceTheCredentialsAreReloadedAndKeepThemOnABadFile() throws Exception
    {
        final LineClient before = connect();
        before.sendRaw(utf8("carol c4rol\n"));
        assertEquals(List.of("error: not authorized"), before.awaitClosed(Duration.ofSeconds(5)));

        CredentialsFile.addUser(users, "carol", "c4rol".toCharArray(), TEST_ITERATIONS);
        assertTrue(broker.reloadCredentials());
        final LineClient carol = login("carol c4rol", "carol");

        Files.writeString(users, "not a credentials line\n"); // a broken file: what was read before stays
        assertFalse(broker.reloadCredentials());
        final LineClient alice = login("alice s3cret", "alice");
        alice.send("carol: still both");
        carol.expectLine("from alice: still both");
    }
}
