package org.partage.sample

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import kotlinx.coroutines.launch
import org.partage.ffi.Item
import org.partage.ffi.ItemDraft
import org.partage.ffi.ItemFilter
import org.partage.ffi.Node
import org.partage.ffi.PartageException
import org.partage.observeSearch
import java.time.LocalDate
import java.time.ZoneOffset

/**
 * Shows the inventory of the app's node. The node is not the Activity's: [PartageHolder] (held by
 * [SampleApp]) opened it once for the process, so a rotation or a second Activity reuses it.
 */
class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val holder = (application as SampleApp).partage
        setContent {
            MaterialTheme {
                // Collected only while the Activity is at least STARTED.
                val state by holder.state.collectAsStateWithLifecycle()
                when (val current = state) {
                    PartageHolder.State.Opening -> Text("Opening…", Modifier.padding(16.dp))
                    is PartageHolder.State.Failed -> Text(current.message, Modifier.padding(16.dp))
                    is PartageHolder.State.Ready -> Inventory(current.node)
                }
            }
        }
    }
}

@Composable
fun Inventory(node: Node) {
    var query by remember { mutableStateOf("") }
    var title by remember { mutableStateOf("") }
    var status by remember { mutableStateOf("") }
    val scope = rememberCoroutineScope()
    val items by remember(query) { node.observeSearch(query, ItemFilter()) }.collectAsStateWithLifecycle(emptyList())
    Column(Modifier.fillMaxSize().padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        OutlinedTextField(query, { query = it }, label = { Text("Search") }, modifier = Modifier.fillMaxWidth())
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedTextField(title, { title = it }, label = { Text("New item") }, modifier = Modifier.weight(1f))
            Button(onClick = {
                scope.launch {
                    status =
                        try {
                            val hood = node.neighbourhoods().first().id
                            node.addItem(hood, ItemDraft(title = title)).let { "Added ${it.title}" }
                        } catch (e: PartageException) {
                            e.message ?: "error"
                        }
                    title = ""
                }
            }) { Text("Add") }
        }
        if (status.isNotEmpty()) Text(status, style = MaterialTheme.typography.bodySmall)
        LazyColumn(verticalArrangement = Arrangement.spacedBy(4.dp)) {
            items(items, key = Item::id) { item ->
                ItemRow(item) {
                    scope.launch {
                        status =
                            try {
                                val today = LocalDate.now(ZoneOffset.UTC)
                                node.requestLoan(item.id, today, today.plusDays(2), "")
                                "Asked ${item.ownerName} for ${item.title}"
                            } catch (e: PartageException) {
                                e.message ?: "error" // e.g. "you cannot borrow your own item"
                            }
                    }
                }
            }
        }
    }
}

@Composable
fun ItemRow(
    item: Item,
    onBorrow: () -> Unit,
) {
    Row(Modifier.fillMaxWidth(), horizontalArrangement = Arrangement.SpaceBetween) {
        Column(Modifier.weight(1f)) {
            Text(item.title, style = MaterialTheme.typography.titleMedium)
            Text("${item.ownerName} · ${item.category.name.lowercase()}", style = MaterialTheme.typography.bodySmall)
        }
        TextButton(onClick = onBorrow, enabled = item.available) { Text("Borrow") }
    }
}
