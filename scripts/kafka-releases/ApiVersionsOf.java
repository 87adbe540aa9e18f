import java.lang.reflect.Method;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.protocol.ApiKeys;

/**
 * Prints the API versions the brokers of this kafka-clients release offer to clients, "key max" per line:
 * those of a KRaft broker (BROKER) and, in the releases that still have them, of a ZooKeeper one (ZK_BROKER).
 * Versions a release marks unstable are left out (an API with no stable version at all too), as its brokers leave
 * them out of their ApiVersions answer.
 */
public class ApiVersionsOf {
  public static void main(String[] args) throws Exception {
    Map<Short, Short> max = new TreeMap<>();
    for (ApiMessageType.ListenerType listener : ApiMessageType.ListenerType.values()) {
      if (!listener.name().equals("BROKER") && !listener.name().equals("ZK_BROKER")) continue;
      for (ApiKeys key : ApiKeys.apisForListener(listener)) {
        Short latest = stableLatest(key, listener);
        if (latest != null && latest >= 0) max.merge(key.id, latest, (a, b) -> a > b ? a : b);
      }
    }
    StringBuilder out = new StringBuilder();
    max.forEach((key, version) -> out.append(key).append(' ').append(version).append('\n'));
    System.out.print(out);
  }

  /** What a broker answers for this API with unstable versions off (older releases have no unstable versions). */
  static Short stableLatest(ApiKeys key, ApiMessageType.ListenerType listener) throws Exception {
    Method answer;
    try {
      answer = ApiKeys.class.getMethod("toApiVersionForApiResponse", boolean.class, ApiMessageType.ListenerType.class);
    } catch (NoSuchMethodException none) {
      try {
        return (Short) ApiKeys.class.getMethod("latestVersion", boolean.class).invoke(key, false);
      } catch (NoSuchMethodException older) {
        return key.latestVersion();
      }
    }
    Optional<?> version = (Optional<?>) answer.invoke(key, false, listener);
    if (version.isEmpty()) return null;
    Object v = version.get();
    return (Short) v.getClass().getMethod("maxVersion").invoke(v);
  }
}
