package dev.hicache.jlama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.jlama.model.Llama2cCheckpoint;
import dev.hicache.jlama.model.Llama2cTokenizer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The llama2.c loader and tokenizer: bad files are refused with the file named; text round-trips. */
class ModelFilesTest {
  @Test void checkpointOfTheWrongLength_isRefusedNamingTheFile(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("bad.bin");
    ByteBuffer b = ByteBuffer.allocate(28 + 400).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(64).putInt(172).putInt(5).putInt(8).putInt(4).putInt(512).putInt(512);
    Files.write(f, b.array());
    assertThatThrownBy(() -> Llama2cCheckpoint.load(f)).isInstanceOf(IOException.class).hasMessageContaining(f.toString())
        .hasMessageContaining("428 bytes");
  }

  @Test void headerThatIsNotAModel_isRefused(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("zero.bin");
    Files.write(f, new byte[64]);
    assertThatThrownBy(() -> Llama2cCheckpoint.load(f)).isInstanceOf(IOException.class).hasMessageContaining("is not a llama2.c model");
  }

  @Test void storiesTokenizer_roundTripsText() {
    Models.stories();
    Llama2cTokenizer tok = Models.storiesTokenizer();
    String text = "Once upon a time, there was a little girl named Lily. Ünïcode too!";
    int[] t = tok.encode(text, true);
    assertThat(t[0]).isEqualTo(Llama2cTokenizer.BOS);
    assertThat(tok.decode(t)).isEqualTo(text);
  }

  @Test void truncatedTokenizer_isRefusedNamingTheFile(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("tok.bin");
    Files.write(f, new byte[] {16, 0, 0, 0, 0, 0, 0, 0});
    assertThatThrownBy(() -> Llama2cTokenizer.load(f, 512)).isInstanceOf(IOException.class).hasMessageContaining(f.toString());
  }
}
