package dev.berth.server.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * The first handler of a client connection, for its first byte only: a TLS handshake record (0x16) is
 * PostgreSQL 17's direct TLS and gets an SslHandler in its place; anything else is the usual startup
 * packet, and the detector just leaves (the bytes it holds go on to the frame decoder).
 */
public final class DirectTlsDetector extends ByteToMessageDecoder {
    private static final byte TLS_HANDSHAKE_RECORD = 0x16;

    private final ClientSession session;

    public DirectTlsDetector(ClientSession session) {
        this.session = session;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (!in.isReadable()) {
            return;
        }
        if (in.getByte(in.readerIndex()) == TLS_HANDSHAKE_RECORD) {
            session.tls().onDirectTls(ctx, this);
            if (!ctx.isRemoved()) { // refused: nothing more is read
                in.skipBytes(in.readableBytes());
            }
        } else {
            ctx.pipeline().remove(this);
        }
    }
}
