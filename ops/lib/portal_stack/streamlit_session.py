"""A Streamlit browser session without a browser: the websocket and Streamlit's own messages.

The message classes come from the installed streamlit package, so they always match the server
version the images pin. Used by stack tests (a websocket that must survive reloads) and by the
benchmarks (many concurrent partner sessions).
"""
import time

import websocket
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_SUCCESSFULLY")
FRAGMENT_FINISHED = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_FRAGMENT_RUN_SUCCESSFULLY")


class StreamlitSession:
    def __init__(self, base_url, cookies=None, headers=None, timeout=30):
        """base_url: the portal, e.g. http://127.0.0.1:8080. cookies: {name: value}."""
        ws_url = base_url.replace("http", "ws", 1).rstrip("/") + "/app/_stcore/stream"
        # English unless a test asks otherwise: the stack tests read the analytics' English texts.
        headers = {"Accept-Language": "en", **(headers or {})}
        header = [f"{name}: {value}" for name, value in headers.items()]
        if cookies:
            header.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
        # Streamlit refuses a websocket whose Origin is not the page's own.
        self.ws = websocket.create_connection(ws_url, origin=base_url.rstrip("/"), header=header, timeout=timeout)
        self.page_script_hash = ""
        self.elements = []
        # The fragment that drew each of the last run's elements ("" outside any fragment).
        self.fragments = []

    @property
    def status(self):
        return self.ws.getstatus()

    def close(self):
        self.ws.close()

    def rerun(self, widgets=(), fragment_id=""):
        """Run the page script once (with these WidgetStates) and wait until it finished; with
        `fragment_id`, only that fragment, as a browser does for a widget inside one.

        Returns (seconds, elements): the run's time and the new elements it drew.
        """
        message = BackMsg()
        state = ClientState(page_script_hash=self.page_script_hash, fragment_id=fragment_id)
        state.widget_states.widgets.extend(widgets)
        message.rerun_script.CopyFrom(state)
        started = time.perf_counter()
        self.ws.send_binary(message.SerializeToString())
        elements, fragments = [], []
        # A fragment's run may widen to the whole page (st.rerun(scope="app")): either ends it.
        finished = {FRAGMENT_FINISHED, FINISHED} if fragment_id else {FINISHED}
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(self.ws.recv())
            kind = reply.WhichOneof("type")
            if kind == "new_session":
                self.page_script_hash = reply.new_session.page_script_hash
            elif kind == "delta" and reply.delta.WhichOneof("type") == "new_element":
                elements.append(reply.delta.new_element)
                fragments.append(reply.delta.fragment_id)
            elif kind == "script_finished" and reply.script_finished in finished:
                self.elements, self.fragments = elements, fragments
                return time.perf_counter() - started, elements

    def fragment_of(self, widget_id):
        """The fragment whose run drew the widget, "" when the whole page's did."""
        for element, fragment in zip(self.elements, self.fragments):
            kind = element.WhichOneof("type")
            if kind and getattr(getattr(element, kind), "id", None) == widget_id:
                return fragment
        raise KeyError(widget_id)

    def texts(self):
        """The markdown and text the last run drew, for assertions on what a partner reads."""
        found = []
        for element in self.elements:
            kind = element.WhichOneof("type")
            if kind in ("markdown", "text", "alert"):
                body = getattr(element, kind).body
                found.append(body)
            elif kind == "heading":
                found.append(element.heading.body)
        return found


def widget(widget_id, **value):
    """A WidgetState, e.g. widget(id, string_value="x") or widget(id, int_value=3)."""
    return WidgetState(id=widget_id, **value)
