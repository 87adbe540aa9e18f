#!/bin/sh
# Prepares the Python side of the upstream wire-compatibility check
# (test/messages/upstream-compat.int.test.ts): a venv at .cache/pyenv holding
# thoth-messaging 0.16.2 and pydantic v1. Its models import nothing else
# (the Kafka client is only used by its producer/consumer modules), so
# they are installed with --no-deps. The same venv holds confluent-kafka
# (librdkafka in its wheel, every compression codec), upstream's Kafka client,
# which the Kafka tests use as a peer (test/transport/kafka-codecs.int.test.ts).
# Quick and silent when already done.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
venv="$root/.cache/pyenv"
python="$venv/bin/python"

ready() {
  [ -x "$python" ] && "$python" - <<'PY' 2>/dev/null
import pydantic, thoth.messaging, confluent_kafka
assert pydantic.VERSION.startswith("1."), pydantic.VERSION
assert thoth.messaging.__version__ == "0.16.2", thoth.messaging.__version__
assert str(confluent_kafka.version()).lstrip("('").startswith("2."), confluent_kafka.version()
PY
}

if ready; then
  exit 0
fi

echo "upstream-compat: installing thoth-messaging 0.16.2, pydantic v1 and confluent-kafka 2 into $venv" >&2
[ -x "$python" ] || python3 -m venv "$venv"
"$python" -m pip install --quiet --disable-pip-version-check --no-deps \
  'pydantic>=1.10,<2' 'typing_extensions>=4.2' 'thoth-messaging==0.16.2' 'confluent-kafka>=2.3,<3'

if ! ready; then
  echo "upstream-compat: the venv at $venv still cannot import thoth.messaging 0.16.2 with pydantic v1 and confluent-kafka 2" >&2
  exit 1
fi
echo "upstream-compat: ready" >&2
