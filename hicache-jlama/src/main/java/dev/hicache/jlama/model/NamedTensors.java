package dev.hicache.jlama.model;

import com.github.tjake.jlama.model.DistributedContext;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.TensorInfo;
import com.github.tjake.jlama.safetensors.WeightLoader;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.FloatBufferTensor;
import com.github.tjake.jlama.tensor.TensorShape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * FP32 tensors by Hugging Face name, handed to Jlama as its {@link WeightLoader} (single node: the
 * distributed context's row and column split is not used).
 */
public final class NamedTensors implements WeightLoader {
  private final Map<String, float[]> data = new LinkedHashMap<>();
  private final Map<String, int[]> shapes = new LinkedHashMap<>();

  /** Adds a tensor; {@code values.length} must equal the product of {@code shape}. */
  public NamedTensors put(String name, float[] values, int... shape) {
    long n = 1;
    for (int d : shape) n *= d;
    if (n != values.length) throw new IllegalArgumentException(name + ": " + values.length + " values for shape " + java.util.Arrays.toString(shape));
    data.put(name, values);
    shapes.put(name, shape.clone());
    return this;
  }

  public float[] values(String name) {
    float[] v = data.get(name);
    if (v == null) throw new IllegalArgumentException("no tensor " + name);
    return v;
  }

  @Override public Map<String, String> metadata() { return Map.of(); }

  @Override public Map<String, TensorInfo> tensorInfoMap() { return Map.of(); }

  @Override public boolean isWeightPresent(String name) { return data.containsKey(name); }

  @Override public AbstractTensor load(String name, DistributedContext dctx, boolean sparseRows, boolean sparseColumns) {
    float[] v = values(name);
    ByteBuffer bb = ByteBuffer.allocateDirect(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    bb.asFloatBuffer().put(v);
    return new FloatBufferTensor(name, bb.asFloatBuffer(), TensorShape.of(shapes.get(name)), true);
  }

  @Override public DType getModelDType() { return DType.F32; }

  @Override public void close() { }
}
