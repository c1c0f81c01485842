// The reference echo server for `cargo xtask bench`: npm `ws`, the most used WebSocket
// server, echoing every message. Listens on 127.0.0.1 and a free port, printed on stdout.
const { WebSocketServer } = require('ws');
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('listening', () => console.log(`listening on ${wss.address().port}`));
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
