/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

/**
 * The messages between a node and the name directory, both ways, one layout for the {@link NameDirectory} service and
 * the node's {@link ClusterAgent}. Little-endian; a name runs from its offset to the end of the message.
 * <pre>
 *   ingress (node to directory)
 *   CLAIM     | type | claim id (8) | seq (8) | node (4) | name
 *   RELEASE   | type | seq (8) | node (4) | name
 *   HELLO     | type | node (4)
 *   PING      | type | seq sent (8) | hellos sent (8)
 *
 *   egress (directory to node)
 *   GRANTED   | type | claim id (8)
 *   TAKEN     | type | claim id (8)
 *   HELD      | type | node (4) | version (8) | name
 *   RELEASED  | type | node (4) | version (8) | name
 *   SYNC_HELD | type | node (4) | version (8) | name
 *   SYNCED    | type | version (8) | count (4)
 *   PONG      | type | seq applied (8) | seq sent (8) | hellos sent (8) | version (8)
 * </pre>
 * {@code type} is an int at offset 0.
 * <p>
 * Neither way is reliable across a change of the directory's leader: Aeron Cluster's ingress goes to one leader (what
 * a leader that dies has not yet put in the log is lost), and egress is sent by the leader alone (a leader that dies,
 * or a new one before its egress is connected, sends nothing). So both ways are numbered, and each PING and PONG says
 * how far the other side has got:
 * <ul>
 *   <li>A node numbers its claims and releases ({@code seq}, from 1 per session). The directory applies them in that
 *   order only: one it has applied again is a duplicate (a claim is answered again, a release ignored), one after a
 *   gap is dropped. PONG tells the last {@code seq} applied and echoes the ping's {@code seq sent}: what was sent
 *   before the ping but not applied (or a claim applied but not answered) was lost, and the node sends it again.</li>
 *   <li>The directory numbers its changes ({@code version}, one per HELD or RELEASED). A node that misses a version,
 *   or hears in a PONG of a version it has not seen, asks again with HELLO: the directory then lists every name
 *   held (SYNC_HELD, then SYNCED with the count), and the node replaces its replica with the list.</li>
 * </ul>
 */
final class DirectoryDescriptor
{
    static final int CLAIM = 1;
    static final int RELEASE = 2;
    static final int HELLO = 3;
    static final int PING = 4;

    static final int GRANTED = 11;
    static final int TAKEN = 12;
    static final int HELD = 13;
    static final int RELEASED = 14;
    static final int PONG = 15;
    static final int SYNC_HELD = 16;
    static final int SYNCED = 17;

    static final int TYPE_OFFSET = 0;

    /** CLAIM, GRANTED, TAKEN. */
    static final int CLAIM_ID_OFFSET = 4;
    /** GRANTED, TAKEN. */
    static final int ANSWER_LENGTH = CLAIM_ID_OFFSET + 8;
    static final int CLAIM_SEQ_OFFSET = 12;
    static final int CLAIM_NODE_OFFSET = 20;
    static final int CLAIM_NAME_OFFSET = 24;

    static final int RELEASE_SEQ_OFFSET = 4;
    static final int RELEASE_NODE_OFFSET = 12;
    static final int RELEASE_NAME_OFFSET = 16;

    /** HELLO, HELD, RELEASED, SYNC_HELD. */
    static final int NODE_OFFSET = 4;
    static final int HELLO_LENGTH = NODE_OFFSET + 4;
    /** HELD, RELEASED, SYNC_HELD: the version, then the name. */
    static final int VERSION_OFFSET = 8;
    static final int NAME_OFFSET = 16;

    static final int PING_SEQ_SENT_OFFSET = 4;
    static final int PING_HELLOS_OFFSET = 12;
    static final int PING_LENGTH = 20;

    static final int SYNCED_VERSION_OFFSET = 4;
    static final int SYNCED_COUNT_OFFSET = 12;
    static final int SYNCED_LENGTH = 16;

    static final int PONG_SEQ_APPLIED_OFFSET = 4;
    static final int PONG_SEQ_SENT_OFFSET = 12;
    static final int PONG_HELLOS_OFFSET = 20;
    static final int PONG_VERSION_OFFSET = 28;
    static final int PONG_LENGTH = 36;

    /** Longest message: a claim of the longest name. */
    static final int MAX_LENGTH = CLAIM_NAME_OFFSET + 1024;

    private DirectoryDescriptor()
    {
    }
}
