# Sourced by scripts: selects a JDK >= 21 (the machine default may be 17).
_tandem_java_major() { "$1" -version 2>&1 | awk -F'"' '/version/ {split($2,a,"."); print a[1]; exit}'; }
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(_tandem_java_major "$JAVA_HOME/bin/java")" -ge 21 ] 2>/dev/null; then
  :
elif command -v java >/dev/null 2>&1 && [ "$(_tandem_java_major java)" -ge 21 ] 2>/dev/null; then
  JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
else
  for d in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64 /usr/lib/jvm/java-21-openjdk-amd64; do
    if [ -x "$d/bin/java" ]; then JAVA_HOME="$d"; break; fi
  done
fi
if [ -z "${JAVA_HOME:-}" ] || [ "$(_tandem_java_major "$JAVA_HOME/bin/java")" -lt 21 ] 2>/dev/null; then
  echo "error: a JDK 21 or newer is required (set JAVA_HOME)" >&2
  return 1 2>/dev/null || exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
# Maven's own dependencies use sun.misc.Unsafe; JDK 23+ warns about it on every build. Allow it quietly.
if [ "$(_tandem_java_major "$JAVA_HOME/bin/java")" -ge 23 ] 2>/dev/null; then
  case "${MAVEN_OPTS:-}" in
    *sun-misc-unsafe-memory-access*) ;;
    *) export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" ;;
  esac
fi
