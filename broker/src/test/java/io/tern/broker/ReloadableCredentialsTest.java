/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.nio.charset.StandardCharsets;
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
 * The credentials file reloaded on change, looked at from the test thread as the watcher would: a change is read once
 * it has settled for one look, a broken file keeps the users in force and is reported once, and an entry costlier
 * than {@code auth-max-iterations} is refused.
 */
@Timeout(30)
class ReloadableCredentialsTest
{
    private static final int ITERATIONS = 1_000;

    @TempDir
    Path dir;

    private static boolean admits(final ReloadableCredentials credentials, final String firstLine)
    {
        final byte[] line = firstLine.getBytes(StandardCharsets.UTF_8);
        return credentials.verify(line, 0, line.length) >= 0;
    }

    @Test
    void shouldReloadAChangedFileOnceItSettledAndKeepTheUsersOnABrokenOne() throws Exception
    {
        final Path users = dir.resolve("users.txt");
        CredentialsFile.addUser(users, "alice", "s3cret".toCharArray(), ITERATIONS);
        final ReloadableCredentials credentials = new ReloadableCredentials(users, 10_000);
        assertFalse(credentials.reloadIfChanged(), "unchanged");

        CredentialsFile.addUser(users, "carol", "c4rol".toCharArray(), ITERATIONS);
        assertFalse(credentials.reloadIfChanged(), "changed since the last look: wait for it to settle");
        assertFalse(admits(credentials, "carol c4rol"));
        assertTrue(credentials.reloadIfChanged(), "the same at the next look: read");
        assertTrue(admits(credentials, "carol c4rol"));
        assertFalse(credentials.reloadIfChanged(), "read once");

        Files.writeString(users, "not a credentials line\n");
        assertFalse(credentials.reloadIfChanged());
        assertTrue(credentials.reloadIfChanged(), "tried once settled");
        assertFalse(credentials.reloadIfChanged(), "and reported once, not at every look");
        assertTrue(admits(credentials, "alice s3cret"), "the users read before stay in force");
        assertTrue(admits(credentials, "carol c4rol"));

        Files.delete(users);
        assertFalse(credentials.reloadIfChanged());
        assertTrue(credentials.reloadIfChanged(), "a missing file is reported once too");
        assertFalse(credentials.reloadIfChanged());
        assertTrue(admits(credentials, "alice s3cret"));
    }

    @Test
    void shouldRefuseAnEntryCostlierThanTheCapAtStartAndOnReload() throws Exception
    {
        final Path users = dir.resolve("users.txt");
        CredentialsFile.addUser(users, "alice", "s3cret".toCharArray(), ITERATIONS);
        final ReloadableCredentials credentials = new ReloadableCredentials(users, ITERATIONS);

        CredentialsFile.addUser(users, "mallory", "pw".toCharArray(), ITERATIONS + 1);
        assertFalse(credentials.reload(), "one entry above the cap: the file is refused");
        assertTrue(admits(credentials, "alice s3cret"));
        assertFalse(admits(credentials, "mallory pw"));

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> new ReloadableCredentials(users, ITERATIONS));
        assertTrue(ex.getMessage().contains("line 3: 1001 iterations, more than auth-max-iterations=1000"),
            ex.getMessage());
        assertEquals(2, CredentialsFile.load(users, ITERATIONS + 1).size());
    }
}
