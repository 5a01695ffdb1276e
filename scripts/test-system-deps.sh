#!/bin/sh
# System packages the test suite drives for real: GStreamer's RTSP server (a camera farm run with
# the system Python), FFmpeg's ffprobe (benchmark baseline), gettext, redis-server (scale-out test),
# Chromium and its driver (browser tests, driven by selenium through /usr/bin/chromedriver).
# Installed when missing and when we are root (CI, a fresh Debian 12 machine); otherwise we say
# what is missing.
set -e
PKGS="gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-base \
gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav \
gstreamer1.0-tools ffmpeg gettext redis-server chromium chromium-driver"
if /usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer" 2>/dev/null \
   && command -v gst-inspect-1.0 >/dev/null && gst-inspect-1.0 x265enc >/dev/null 2>&1 \
   && gst-inspect-1.0 x264enc >/dev/null 2>&1 && command -v ffprobe >/dev/null \
   && command -v redis-server >/dev/null \
   && [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq $PKGS >/dev/null
else
  echo "Missing system packages for the stream-check and browser tests. Install them with:" >&2
  echo "  sudo apt-get install $PKGS" >&2
  exit 1
fi
